"""Benchmark (not a test): cold-import time of every function's module, in a fresh interpreter each
time, next to two floors measured in the same run: `import boto3` and `import botocore.session`
(the store uses botocore directly, so boto3 is never imported on a request path).

The interpreter is a Lambda-like one built once and cached under .local/: a Python 3.13 venv with
only boto3 (as the Lambda runtime has it), and the layer's requirements installed like `sam build`
installs them (pip --target, no .pyc) -- so no `cryptography` (the dev venv has it through moto,
and PyJWT imports it when present), no dev tools. Each sample is the time of `import app` measured
inside a fresh process (`perf_counter` around the import: interpreter start-up excluded), with the
function's directory and the layer first on sys.path as /var/task and /opt/python are on Lambda,
and the function's template environment. Two variants:

- `.pyc cached`: the layer and function byte-compiled beforehand, as `make build` ships them
  (local/build.sh runs compileall after `sam build`);
- `no .pyc`: as plain `sam build` would ship them (no __pycache__; /opt is read-only on Lambda,
  so every cold start would compile the layer's modules from source): what precompiling saves.

    .venv/bin/python -m bench.bench_cold_import [--runs 5]
"""

import argparse
import hashlib
import re
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

from bench.support import REPO_ROOT, Row, add_json_argument, write_rows
from local.template import Template

CACHE = REPO_ROOT / ".local"
VENV = CACHE / "bench-venv"
LAYER_CACHE = CACHE / "bench-layer"
LAYER_REQUIREMENTS = REPO_ROOT / "layers" / "common" / "requirements.txt"
TIMED_IMPORT = (
    "import time; started = time.perf_counter_ns(); import {module}; "
    "print((time.perf_counter_ns() - started) / 1e6)"
)


def boto3_pin() -> str:
    """boto3 as requirements-dev.txt pins it (the version the runtime is assumed to carry)."""
    text = (REPO_ROOT / "requirements-dev.txt").read_text()
    match = re.search(r"^boto3==\S+", text, re.MULTILINE)
    if not match:
        raise SystemExit("requirements-dev.txt does not pin boto3")
    return match.group(0)


def base_python() -> str:
    """The Python 3.13 the project's .venv was made from."""
    dev_python = REPO_ROOT / ".venv" / "bin" / "python"
    prefix = subprocess.check_output([dev_python, "-c", "import sys; print(sys.base_prefix)"], text=True)
    return str(Path(prefix.strip()) / "bin" / "python3")


def pip(python: Path, *args: str) -> None:
    command = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout[-2000:]}{result.stderr[-3000:]}")


def ensure_interpreter() -> Path:
    """.local/bench-venv: Python 3.13 + boto3 only (rebuilt when the boto3 pin changes)."""
    python, stamp, pin = VENV / "bin" / "python", VENV / ".bench-stamp", boto3_pin()
    if not (python.exists() and stamp.exists() and stamp.read_text() == pin):
        shutil.rmtree(VENV, ignore_errors=True)
        print(f"creating {VENV.relative_to(REPO_ROOT)} ({pin}) ...", flush=True)
        subprocess.run([base_python(), "-m", "venv", str(VENV)], check=True)
        pip(python, pin)
        stamp.write_text(pin)
    return python


def ensure_layer_packages(python: Path) -> Path:
    """.local/bench-layer: the layer's requirements as `sam build` installs them (no .pyc), for
    this machine's platform; rebuilt when layers/common/requirements.txt changes."""
    digest = hashlib.sha256(LAYER_REQUIREMENTS.read_bytes()).hexdigest()
    target, stamp = LAYER_CACHE / "python", LAYER_CACHE / ".bench-stamp"
    if not (stamp.exists() and stamp.read_text() == digest):
        shutil.rmtree(LAYER_CACHE, ignore_errors=True)
        print(f"installing the layer's requirements into {target.relative_to(REPO_ROOT)} ...", flush=True)
        pip(python, "--no-compile", "--target", str(target), "-r", str(LAYER_REQUIREMENTS))
        stamp.write_text(digest)
    return target


def stage_artifacts(workdir: Path, layer_packages: Path, python: Path) -> dict[str, Path]:
    """Two copies of layer + functions: as built (no .pyc) and byte-compiled."""
    no_pyc = workdir / "no-pyc"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(layer_packages, no_pyc / "opt" / "python", ignore=ignore)
    shutil.copytree(
        REPO_ROOT / "layers" / "common" / "bailian_chat",
        no_pyc / "opt" / "python" / "bailian_chat",
        ignore=ignore,
    )
    shutil.copytree(REPO_ROOT / "functions", no_pyc / "functions", ignore=ignore)
    compiled = workdir / "pyc"
    shutil.copytree(no_pyc, compiled)
    subprocess.run([str(python), "-m", "compileall", "-q", "-j", "0", str(compiled)], check=True)
    return {"no .pyc": no_pyc, ".pyc cached": compiled}


def lambda_environment(function_env: dict[str, str], function_name: str) -> dict[str, str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        # Lambda hands the function its role's credentials in the environment (fakes here: the
        # clients primed at init sign one request without sending it).
        "AWS_ACCESS_KEY_ID": "ASIABENCHCOLDIMPORT00",
        "AWS_SECRET_ACCESS_KEY": "bench-cold-import-secret",
        "AWS_SESSION_TOKEN": "bench-cold-import-token",
    }
    env.update(function_env)
    return env


def timed_import(python: Path, module: str, env: dict[str, str], cwd: Path, dont_write: bool) -> float:
    env = dict(env)
    if dont_write:
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # /var/task and /opt are read-only on Lambda
    result = subprocess.run(
        [str(python), "-c", TIMED_IMPORT.format(module=module)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"`import {module}` failed in {cwd}:\n{result.stderr[-3000:]}")
    return float(result.stdout.strip().splitlines()[-1])


def import_breakdown(python: Path, env: dict[str, str], cwd: Path) -> list[tuple[str, float]]:
    """Self time of one `import app` per top-level package (python -X importtime), largest first."""
    result = subprocess.run(
        [str(python), "-X", "importtime", "-c", "import app"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    totals: dict[str, float] = {}
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s+(.*)$", line)
        if match:
            package = match.group(2).strip().split(".")[0]
            totals[package] = totals.get(package, 0.0) + int(match.group(1)) / 1000
    return sorted(totals.items(), key=lambda item: -item[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh interpreters per measurement (median)")
    add_json_argument(parser)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be >= 1")

    python = ensure_interpreter()
    layer_packages = ensure_layer_packages(python)
    has_cryptography = (
        subprocess.run(
            [str(python), "-c", "import cryptography"],
            env={"PYTHONPATH": str(layer_packages)},
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    version = subprocess.check_output([str(python), "-VV"], text=True).strip()
    template = Template(resource_values={"Table": "bench-cold-import"})
    functions = sorted(template.functions.values(), key=lambda f: f.code_uri.name)

    with tempfile.TemporaryDirectory(prefix="bench-cold-import-") as tmp:
        variants = stage_artifacts(Path(tmp), layer_packages, python)
        floor_env = lambda_environment({}, "floor")
        targets: list[tuple[str, str, str, dict[str, str], Path, bool]] = [
            ("floor", "import boto3", "boto3", floor_env, Path(tmp), False),
            ("floor", "import botocore.session", "botocore.session", floor_env, Path(tmp), False),
        ]
        for function in functions:
            for variant, root in variants.items():
                name = function.code_uri.name
                env = lambda_environment(function.environment, function.logical_id)
                env["PYTHONPATH"] = f"{root / 'functions' / name}:{root / 'opt' / 'python'}"
                targets.append((name, variant, "app", env, root / "functions" / name, variant == "no .pyc"))
        samples: dict[tuple[str, str], list[float]] = {(t[0], t[1]): [] for t in targets}
        print(
            f"interpreter: {python.relative_to(REPO_ROOT)} ({version}); cryptography importable: "
            f"{'yes' if has_cryptography else 'no'}"
        )
        print(f"{len(targets)} measurements x {args.runs} fresh interpreters, interleaved ...", flush=True)
        for _ in range(args.runs):  # interleaved, so every measurement sees the same machine load
            for group, label, module, env, cwd, dont_write in targets:
                samples[(group, label)].append(timed_import(python, module, env, cwd, dont_write))
        median = {key: statistics.median(values) for key, values in samples.items()}
        fastest = {key: min(values) for key, values in samples.items()}
        slowest = max((f.code_uri.name for f in functions), key=lambda n: median[(n, ".pyc cached")])
        slowest_target = next(t for t in targets if (t[0], t[1]) == (slowest, ".pyc cached"))
        breakdown = import_breakdown(python, slowest_target[3], slowest_target[4])

    boto3_ms = median[("floor", "import boto3")]
    botocore_ms = median[("floor", "import botocore.session")]
    print(f"\nimport time, median (min) of {args.runs} fresh interpreters, in ms")
    print(f"{'module':<28} {'.pyc cached':>16} {'no .pyc':>16} {'cached/boto3':>13} {'no-pyc/cached':>14}")
    for label, key in (
        ("import boto3", "import boto3"),
        ("import botocore.session", "import botocore.session"),
    ):
        print(f"{label:<28} {median[('floor', key)]:>7.1f} ({fastest[('floor', key)]:>6.1f})")
    rows = [
        Row("cold import", "floor: import boto3", boto3_ms, "ms",
            note=f"min {fastest[('floor', 'import boto3')]:.0f} ms; the runtime's boto3, .pyc present"),
        Row("cold import", "floor: import botocore.session", botocore_ms, "ms", "import boto3", boto3_ms,
            note=f"min {fastest[('floor', 'import botocore.session')]:.0f} ms"),
    ]  # fmt: skip
    for function in functions:
        name = function.code_uri.name
        cached, raw = median[(name, ".pyc cached")], median[(name, "no .pyc")]
        low_cached, low_raw = fastest[(name, ".pyc cached")], fastest[(name, "no .pyc")]
        low_boto3 = fastest[("floor", "import boto3")]
        cells = f"{cached:>7.1f} ({low_cached:>6.1f}) {raw:>7.1f} ({low_raw:>6.1f})"
        print(f"{name:<28} {cells} {cached / boto3_ms:>12.2f}x {raw / cached:>13.2f}x")
        rows.append(
            Row("cold import", f"{name}, .pyc cached", cached, "ms", "import boto3", boto3_ms,
                note=f"min {low_cached:.0f} ms (min/min {low_cached / low_boto3:.2f}x)")
        )  # fmt: skip
        rows.append(
            Row("cold import", f"{name}, no .pyc (plain sam build)", raw, "ms", ".pyc cached", cached,
                note=f"min {low_raw:.0f} ms (min/min {low_raw / low_cached:.2f}x)")
        )  # fmt: skip
    top = ", ".join(f"{package} {ms:.0f} ms" for package, ms in breakdown[:6])
    print(f"\nslowest with .pyc ({slowest}), one -X importtime run, self time by package: {top}")
    print(f"interpreter: {python.relative_to(REPO_ROOT)}, {version}")
    write_rows(args.json, rows)


if __name__ == "__main__":
    main()
