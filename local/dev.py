"""`make dev`: the whole stack on 127.0.0.1 until Ctrl-C.

    python -m local.dev [--port 3000] [--host 127.0.0.1] [--env-vars env.json]

DynamoDB Local keeps its data under .local/dynamodb and the dev JWT signing key lives in
.local/jwt-secret, so users and tokens survive restarts. DYNAMODB_PORT pins DynamoDB Local's port.
"""

import argparse
import logging
import os
import secrets
import signal
import sys
import threading
from pathlib import Path

from local.dynamodb_local import DynamoDBLocalError
from local.make_admin import write_stack_file
from local.stack import LocalStack, PortInUseError
from local.template import REPO_ROOT, TemplateError

STATE_DIR = REPO_ROOT / ".local"
DYNAMODB_DATA_DIR = STATE_DIR / "dynamodb"
JWT_SECRET_FILE = STATE_DIR / "jwt-secret"


def dev_jwt_secret(path: Path = JWT_SECRET_FILE) -> str:
    """The dev signing key: created once (owner-only), then reused so issued tokens stay valid."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(secret + "\n")
    return secret


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local.dev", description="Run the API locally.")
    parser.add_argument("--port", type=int, default=3000, help="API port (default 3000)")
    parser.add_argument("--host", default="127.0.0.1", help="API host (default 127.0.0.1)")
    parser.add_argument("--env-vars", type=Path, help="`sam local start-api --env-vars` JSON file")
    parser.add_argument("--max-workers", type=int, default=4, help="worker processes per function")
    parser.add_argument("--prewarm", action="store_true", help="start one worker per function up front")
    return parser.parse_args(argv)


def wait_for_stop_signal() -> None:
    """Block until Ctrl-C or SIGTERM."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()


def describe_bailian(stack: LocalStack) -> str:
    if stack.bailian_base_url and stack.bailian_api_key and stack.bailian_api_key.startswith("sk-fake-"):
        return f"fake at {stack.bailian_base_url} (set DASHSCOPE_API_KEY to use the real service)"
    upstream = stack.bailian_base_url or "the template's default URL"
    return f"real service at {upstream} (DASHSCOPE_API_KEY is set)"


def print_banner(stack: LocalStack) -> None:
    template = stack.template
    print(
        f"\n  API           {stack.base_url}   (stage {template.stage}, {len(template.routes)} routes)"
        f"\n  DynamoDB      {stack.dynamodb_endpoint}   table {stack.table_name}, data in {DYNAMODB_DATA_DIR}"
        f"\n  JWT secret    {JWT_SECRET_FILE}"
        f"\n  Bailian       {describe_bailian(stack)}"
        f"\n\n  try: curl -s {stack.base_url}/api/auth/register -H 'Content-Type: application/json'"
        ' -d \'{"username":"alice","email":"alice@example.com","password":"Secret-pass-123"}\''
        "\n  Ctrl-C stops everything.\n",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        stack = LocalStack(
            host=args.host,
            port=args.port,
            dynamodb_port=int(os.environ.get("DYNAMODB_PORT", "0")),
            data_dir=DYNAMODB_DATA_DIR,
            jwt_secret=dev_jwt_secret(),
            env_vars=args.env_vars,
            max_workers=args.max_workers,
            prewarm=args.prewarm,
        )
        with stack:
            write_stack_file(stack.dynamodb_endpoint, stack.table_name)  # for `make admin`
            print_banner(stack)
            wait_for_stop_signal()
            print("stopping ...", file=sys.stderr)
    except (PortInUseError, DynamoDBLocalError, TemplateError, ValueError) as error:
        print(f"local.dev: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C while starting; the stack has cleaned up after itself
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
