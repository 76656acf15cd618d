"""`make sam-local`: the API served from Docker containers by `sam local start-api`, against the
same local parts and data as `make dev` (DynamoDB Local under .local/dynamodb, the dev JWT key in
.local/jwt-secret, the fake Bailian unless DASHSCOPE_API_KEY is set).

    python -m local.sam_local [--port 3000] [--skip-pull-image]

Containers sit on Docker's bridge network, so the functions reach the local parts at the host's
bridge address (docker0, or SAM_LOCAL_HOST_ADDRESS), not at 127.0.0.1. The template is built
(`sam build`) for this machine's architecture into .local/sam/ first: the layer's dependencies must
be installed, and an arm64 image would need emulation on an x86_64 host.
"""

import argparse
import contextlib
import ipaddress
import json
import os
import platform
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from local import generated_code
from local.dev import DYNAMODB_DATA_DIR, STATE_DIR, dev_jwt_secret
from local.dynamodb_local import DynamoDBLocalError, ensure_table
from local.function_env import local_api_key_digest_secret
from local.stack import DEFAULT_TABLE_NAME, PortInUseError, run_dynamodb_local, start_fake_bailian
from local.template import REPO_ROOT, TEMPLATE_PATH, Template, TemplateError, load_yaml

SAM_DIR = STATE_DIR / "sam"
# Lambda gives a function's init (imports, clients) its own 10 s, apart from Timeout; SAM's emulator
# counts a cold container's init in the invoke, so the local template adds that budget.
INIT_BUDGET_SECONDS = 10
ARCHITECTURES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}


class SamLocalError(RuntimeError):
    pass


def host_architecture(machine: str | None = None) -> str:
    machine = (machine or platform.machine()).lower()
    if machine not in ARCHITECTURES:
        raise SamLocalError(f"no Lambda architecture for this machine ({machine})")
    return ARCHITECTURES[machine]


def host_address(environ: Mapping[str, str] = os.environ) -> str:
    """Where a container on Docker's default bridge reaches this host: SAM_LOCAL_HOST_ADDRESS, or
    the docker0 bridge's IPv4 address (Docker Desktop: set SAM_LOCAL_HOST_ADDRESS=host.docker.internal)."""
    if environ.get("SAM_LOCAL_HOST_ADDRESS"):
        return environ["SAM_LOCAL_HOST_ADDRESS"]
    result = subprocess.run(
        ["ip", "-4", "-o", "addr", "show", "docker0"], capture_output=True, text=True, check=False
    )
    for field in result.stdout.split():
        if "/" in field:
            with contextlib.suppress(ValueError):
                return str(ipaddress.IPv4Interface(field).ip)
    raise SamLocalError(
        "no docker0 bridge: is the Docker engine running? (or set SAM_LOCAL_HOST_ADDRESS to the address "
        "containers reach this host at)"
    )


def bind_address(address: str) -> str:
    """Listen on the bridge address itself when it is one of ours, else on loopback (Docker Desktop)."""
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return "127.0.0.1"
    return address


def sam_template(template_path: Path = TEMPLATE_PATH, architecture: str | None = None) -> dict[str, Any]:
    """template.yaml as JSON for this machine's architecture, with absolute code paths (it is
    written under .local/sam/) and the init budget added to each timeout. Intrinsics stay as they
    are: short tags load as their long form."""
    template = load_yaml(template_path)
    root = template_path.resolve().parent
    architecture = architecture or host_architecture()
    function_globals = (template.get("Globals") or {}).get("Function") or {}
    if "Architectures" in function_globals:
        function_globals["Architectures"] = [architecture]
    function_globals["Timeout"] = int(function_globals.get("Timeout", 3)) + INIT_BUDGET_SECONDS
    for resource in (template.get("Resources") or {}).values():
        properties = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::Serverless::Function":
            if "Architectures" in properties:
                properties["Architectures"] = [architecture]
            if "Timeout" in properties:
                properties["Timeout"] = int(properties["Timeout"]) + INIT_BUDGET_SECONDS
            if isinstance(properties.get("CodeUri"), str):
                properties["CodeUri"] = str((root / properties["CodeUri"]).resolve())
        elif resource.get("Type") == "AWS::Serverless::Api":
            _authorizers_invoke_functions(properties)
        elif resource.get("Type") == "AWS::Serverless::LayerVersion":
            properties["CompatibleArchitectures"] = [architecture]
            metadata = resource.setdefault("Metadata", {})
            if "BuildArchitecture" in metadata:
                metadata["BuildArchitecture"] = architecture
            if isinstance(properties.get("ContentUri"), str):
                properties["ContentUri"] = str((root / properties["ContentUri"]).resolve())
    return template


def _authorizers_invoke_functions(api_properties: dict[str, Any]) -> None:
    """sam local finds an authorizer's function only by !GetAtt <Function>.Arn: the template's
    !Ref <Function>.Alias (the published version, for SnapStart) becomes that; locally they are
    the same code."""
    for authorizer in ((api_properties.get("Auth") or {}).get("Authorizers") or {}).values():
        reference = authorizer.get("FunctionArn")
        if isinstance(reference, dict) and str(reference.get("Ref", "")).endswith(".Alias"):
            authorizer["FunctionArn"] = {"Fn::GetAtt": [reference["Ref"].removesuffix(".Alias"), "Arn"]}


def env_vars(
    *, table_name: str, dynamodb_endpoint: str, jwt_secret: str, bailian: Mapping[str, str | None]
) -> dict[str, dict[str, str]]:
    """The `--env-vars` file: every function's local wiring (the template declares each name)."""
    return {
        "Parameters": {
            "TABLE_NAME": table_name,
            "DYNAMODB_ENDPOINT": dynamodb_endpoint,
            "JWT_SECRET": jwt_secret,
            "JWT_SECRET_ARN": "",
            "API_KEY_DIGEST_SECRET": local_api_key_digest_secret(jwt_secret),
            "API_KEY_DIGEST_SECRET_ARN": "",
            "BAILIAN_API_KEY_SECRET_ARN": "",
            **{name: value or "" for name, value in bailian.items()},
        }
    }


def write_private_json(path: Path, content: Any) -> Path:
    """Owner-only: the file holds the dev JWT key (and maybe a real DashScope key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        json.dump(content, stream, indent=2)
    return path


def sam(*args: str) -> list[str]:
    return ["bash", str(REPO_ROOT / "local" / "sam.sh"), *args]


def build(sam_dir: Path = SAM_DIR) -> Path:
    """`sam build` of the host-architecture template into sam_dir/build; returns the built template."""
    source = sam_dir / "template.json"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(json.dumps(sam_template(), indent=1), encoding="utf-8")
    build_dir = sam_dir / "build"
    # SAM looks the runtime's interpreter up as python3.13 on PATH: .venv-sam's own is one.
    environment = {**os.environ, "PATH": f"{REPO_ROOT / '.venv-sam' / 'bin'}:{os.environ.get('PATH', '')}"}
    command = sam(
        "build",
        *("--template-file", str(source), "--build-dir", str(build_dir)),
        *("--cache-dir", str(sam_dir / "cache"), "--cached", "--parallel"),
    )
    subprocess.run(command, cwd=REPO_ROOT, env=environment, check=True)
    # Like `make build`: ship .pyc, or every cold container compiles the layer again (seconds), and
    # the generated code precompiled (bailian_chat/generated_code.py).
    generated_code.precompile("python3.13", build_dir, env=environment)
    record = [sys.executable, "-m", "local.generated_code", str(build_dir / "CommonLayer" / "python")]
    subprocess.run(record, cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL)
    return build_dir / "template.yaml"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local.sam_local", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=3000, help="API port on 127.0.0.1 (default 3000)")
    parser.add_argument("--skip-pull-image", action="store_true", help="use the local Lambda base image")
    parser.add_argument("--no-build", action="store_true", help="reuse .local/sam/build")
    return parser.parse_args(argv)


def start_api_command(built_template: Path, env_file: Path, *, port: int, skip_pull_image: bool) -> list[str]:
    return sam(
        "local",
        "start-api",
        *("--template", str(built_template), "--env-vars", str(env_file)),
        *("--host", "127.0.0.1", "--port", str(port)),
        # Keep each function's container between requests: a cold one takes seconds to start.
        *("--warm-containers", "LAZY"),
        *(["--skip-pull-image"] if skip_pull_image else []),
    )


def start_local_parts(
    resources: contextlib.ExitStack,
    address: str,
    *,
    data_dir: Path | None = DYNAMODB_DATA_DIR,
    jwt_secret: str,
    env_file: Path = SAM_DIR / "env.json",
) -> Path:
    """DynamoDB Local (+ table) and the fake Bailian (unless DASHSCOPE_API_KEY), reachable from the
    containers at address; returns the written --env-vars file. resources stops them."""
    asked = int(os.environ.get("DYNAMODB_PORT", "0"))
    dynamodb = resources.enter_context(run_dynamodb_local("127.0.0.1", asked, data_dir=data_dir))
    dynamodb_port = dynamodb.port
    ensure_table(dynamodb.endpoint, DEFAULT_TABLE_NAME, Template())
    bailian = start_fake_bailian(resources, bind_address(address))
    variables = env_vars(
        table_name=DEFAULT_TABLE_NAME,
        dynamodb_endpoint=f"http://{address}:{dynamodb_port}",
        jwt_secret=jwt_secret,
        bailian=bailian,
    )
    print(f"sam-local: DynamoDB Local at {address}:{dynamodb_port}, env-vars {env_file}", flush=True)
    return write_private_json(env_file, variables)


def run_until_stopped(command: list[str]) -> int:
    """Run sam until it exits. Ctrl-C reaches sam from the terminal, and SIGTERM is passed on: either
    way sam removes its containers first, then the caller stops the local parts."""
    process = subprocess.Popen(command, cwd=REPO_ROOT)
    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, lambda *_: None),
        signal.SIGTERM: signal.signal(signal.SIGTERM, lambda *_: process.terminate()),
    }
    try:
        return process.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def serve(args: argparse.Namespace, address: str, built_template: Path) -> int:
    """Start the local parts, write the env-vars file and run `sam local start-api` until Ctrl-C."""
    with contextlib.ExitStack() as resources:
        env_file = start_local_parts(resources, address, jwt_secret=dev_jwt_secret())
        command = start_api_command(
            built_template, env_file, port=args.port, skip_pull_image=args.skip_pull_image
        )
        return run_until_stopped(command)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        address = host_address()
        built_template = SAM_DIR / "build" / "template.yaml" if args.no_build else build()
        return serve(args, address, built_template)
    except (SamLocalError, PortInUseError, DynamoDBLocalError, TemplateError) as error:
        print(f"local.sam_local: {error}", file=sys.stderr)
    except subprocess.CalledProcessError as error:
        print(f"local.sam_local: {' '.join(error.cmd[:4])} failed ({error.returncode})", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
