"""Benchmark (not a test): cold-import time of every function's module, in a fresh interpreter each
time, next to two floors measured in the same run: `import boto3` and `import botocore.session`
(the store uses botocore directly, so boto3 is never imported on a request path).

The interpreter is a Lambda-like one built once and cached under .local/: a Python 3.13 venv with
only boto3 (as the Lambda runtime has it), and the layer's requirements installed like `sam build`
installs them (pip --target, no .pyc) -- so no `cryptography` (the dev venv has it through moto,
and PyJWT imports it when present), no dev tools. Each sample is the time of `import app` measured
inside a fresh process (`perf_counter` around the import: interpreter start-up excluded), with the
function's directory and the layer first on sys.path as /var/task and /opt/python are on Lambda,
and the function's template environment. Per function:

- `import`: the module import alone, priming off (no AWS_LAMBDA_FUNCTION_NAME: bailian_chat.
  warm_start primes nothing; AWS_EXECUTION_ENV is set, so the collector is paused for the import
  as on Lambda). Issue 15's target is this one: at most 1.5x `import boto3`; a function over it is
  marked (!).
- `init`: what Lambda's init phase runs, the import plus the priming (AWS_LAMBDA_FUNCTION_NAME set):
  the DynamoDB client created and one request taken through its request path (answered
  in-process), httpx's client and its SSL context, argon2's memory. That work is moved out of the
  first request on purpose (bench_first_call: the first call costs about what a warm one does),
  so init is longer than the import by exactly what the first call no longer pays.
- `under uvicorn` (the two streaming functions): they run as `python -m uvicorn app:app` behind
  the Web Adapter (run.sh), so uvicorn has imported itself (asyncio, ssl, logging, h11, click, ...)
  before it imports the app. Measured that way too (priming off): uvicorn's own start up to the
  app's import, then `import app` inside it, the part the function's code adds.
- `no generated code`: the import with the .pyc but without the precompiled generated code
  `make build` ships (bailian_chat/generated_code.py: dataclasses' methods, typing's forward
  references, namedtuples' __new__, compiled at build time; recorded here with this interpreter
  against the staged layer by local/generated_code.py, the step local/build.sh runs): what that
  saves.
- `no .pyc`: the import as plain `sam build` would ship the code (no __pycache__, no generated
  code; /opt is read-only on Lambda, so every cold start would compile the layer's modules from
  source), next to the import as `make build` ships it (local/build.sh runs compileall after
  `sam build`): what precompiling saves. `import` and `init` are measured as `make build` ships.

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
from local import generated_code
from local.function_env import lambda_like_environment
from local.template import Template

CACHE = REPO_ROOT / ".local"
VENV = CACHE / "bench-venv"
LAYER_CACHE = CACHE / "bench-layer"
LAYER_REQUIREMENTS = REPO_ROOT / "layers" / "common" / "requirements.txt"
TIMED_IMPORT = (
    "import time; started = time.perf_counter_ns(); import {module}; "
    "print((time.perf_counter_ns() - started) / 1e6)"
)


UNDER_UVICORN = """
import time
started = time.perf_counter_ns()
import uvicorn.main  # what `python -m uvicorn` imports first
import uvicorn.config
load, times = uvicorn.config.import_from_string, []

def timed(target):
    if target != "app:app":
        return load(target)
    app_started = time.perf_counter_ns()
    value = load(target)
    times.extend([(app_started - started) / 1e6, (time.perf_counter_ns() - app_started) / 1e6])
    return value

uvicorn.config.import_from_string = timed
uvicorn.config.Config("app:app", host="127.0.0.1", port=8080, proxy_headers=False, access_log=False,
                      server_header=False, log_level="warning").load()  # run.sh's options
print(*times)
"""


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


VARIANTS = ("no .pyc", "make build", "no generated code")


def stage_artifacts(
    workdir: Path, layer_packages: Path, python: Path, functions: list, wanted: tuple[str, ...] = VARIANTS
) -> dict[str, Path]:
    """Copies of layer + functions (the `wanted` VARIANTS): as plain `sam build` makes them (no
    .pyc), as `make build` ships them (byte-compiled, plus the generated code precompiled for
    `functions`, recorded with this interpreter: local/generated_code.py), and the latter without
    its generated code."""
    tree, staged = workdir / "built", {}
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(layer_packages, tree / "opt" / "python", ignore=ignore)
    layer_source = REPO_ROOT / "layers" / "common" / "bailian_chat"
    shutil.copytree(layer_source, tree / "opt" / "python" / "bailian_chat", ignore=ignore)
    shutil.copytree(REPO_ROOT / "functions", tree / "functions", ignore=ignore)
    if "no .pyc" in wanted:
        staged["no .pyc"] = shutil.copytree(tree, workdir / "no-pyc")
    generated_code.precompile(str(python), tree)
    if "no generated code" in wanted:
        staged["no generated code"] = shutil.copytree(tree, workdir / "pyc")
    layer_dir = tree / "opt" / "python"
    generated_code.record_all(
        str(python),
        functions,
        layer_dir,
        lambda function: tree / "functions" / function.code_uri.name,
        layer_dir / "bailian_chat" / generated_code.CACHE_NAME,
    )
    return {**staged, "make build": tree}


def timed_run(python: Path, code: str, env: dict[str, str], cwd: Path, dont_write: bool) -> list[float]:
    """The numbers `code` prints last, run in a fresh interpreter."""
    env = dict(env)
    if dont_write:
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # /var/task and /opt are read-only on Lambda
    result = subprocess.run(
        [str(python), "-c", code], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"{code.strip().splitlines()[0]}... failed in {cwd}:\n{result.stderr[-3000:]}")
    return [float(value) for value in result.stdout.strip().splitlines()[-1].split()]


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


IMPORT_LIMIT = 1.5  # issue 15: every function's import at most 1.5x `import boto3`
# Measured per function: (artifacts, priming at init). See the module docstring.
MEASURES = {
    "import": ("make build", False),
    "init": ("make build", True),
    "no generated code": ("no generated code", False),
    "no .pyc": ("no .pyc", False),
}
UVICORN_LABELS = ("uvicorn start", "under uvicorn")  # the two numbers UNDER_UVICORN prints
# group, labels (one per number the code prints), code, env, cwd, no .pyc
Target = tuple[str, tuple[str, ...], str, dict[str, str], Path, bool]


def function_targets(functions: list, variants: dict[str, Path]) -> list[Target]:
    targets = []
    for function in functions:
        name = function.code_uri.name
        for label, (variant, priming) in MEASURES.items():
            root = variants[variant]
            env = lambda_like_environment(function)
            if not priming:
                del env["AWS_LAMBDA_FUNCTION_NAME"]  # as outside Lambda: warm_start primes nothing
            env["PYTHONPATH"] = f"{root / 'functions' / name}:{root / 'opt' / 'python'}"
            cwd, code = root / "functions" / name, TIMED_IMPORT.format(module="app")
            targets.append((name, (label,), code, env, cwd, variant == "no .pyc"))
            if label == "import" and function.web_adapter:
                targets.append((name, UVICORN_LABELS, UNDER_UVICORN, env, cwd, False))
    return targets


def report(names: list[str], median: dict, fastest: dict, runs: int) -> list[Row]:
    """Prints the table and returns its rows; ratios are median/median within this run."""
    boto3_ms, low_boto3 = median[("floor", "import boto3")], fastest[("floor", "import boto3")]
    print(
        f"\n`import app`, median (min) of {runs} fresh interpreters, in ms; x = median / median of "
        f"`import boto3`; (!) an import over {IMPORT_LIMIT}x (issue 15's target)"
    )
    print(
        f"{'':<30}{'import (priming off)':>24}    {'init (import + priming)':>25}"
        f"{'init-import':>12} {'no generated code':>25} {'no .pyc / import':>24}"
    )
    rows = []
    for key in ("import boto3", "import botocore.session"):
        value, low = median[("floor", key)], fastest[("floor", key)]
        print(f"{key:<30}{value:>8.1f} ({low:>6.1f}) {value / boto3_ms:>5.2f}x")
        rows.append(Row("cold import", f"floor: {key}", value, "ms",
                        *(("import boto3", boto3_ms) if key != "import boto3" else ()),
                        note=f"min {low:.0f} ms; the runtime's, .pyc present"))  # fmt: skip
    over_limit = [name for name in names if median[(name, "import")] / boto3_ms > IMPORT_LIMIT]
    for name in names:
        imported, init, uncached, raw = (median[(name, label)] for label in MEASURES)
        low_imported, low_init, low_uncached, low_raw = (fastest[(name, label)] for label in MEASURES)
        over = name in over_limit
        mark = " (!)" if over else "    "
        print(
            f"{name:<30}{imported:>8.1f} ({low_imported:>6.1f}) {imported / boto3_ms:>5.2f}x{mark}"
            f" {init:>8.1f} ({low_init:>6.1f}) {init / boto3_ms:>5.2f}x {init - imported:>+10.1f}"
            f" {uncached:>8.1f} ({low_uncached:>6.1f}) {uncached / boto3_ms:>5.2f}x"
            f" {raw:>8.1f} ({low_raw:>6.1f}) {raw / imported:>5.2f}x"
        )
        rows += [
            Row("cold import", f"{name}: import", imported, "ms", "import boto3", boto3_ms,
                note=f"min {low_imported:.0f} ms (min/min {low_imported / low_boto3:.2f}x)"
                     f"{f'; over {IMPORT_LIMIT}x (!)' if over else ''}"),
            Row("cold import", f"{name}: init (import + priming)", init, "ms", "import boto3", boto3_ms,
                note=f"min {low_init:.0f} ms (min/min {low_init / low_boto3:.2f}x); priming "
                     f"{init - imported:+.0f} ms, taken off the first call"),
            Row("cold import", f"{name}: import without the precompiled generated code", uncached, "ms",
                "import boto3", boto3_ms, note=f"min {low_uncached:.0f} ms; the import saves "
                f"{uncached - imported:.0f} ms with it"),
            Row("cold import", f"{name}: import, no .pyc (plain sam build)", raw, "ms", "import", imported,
                note=f"min {low_raw:.0f} ms"),
        ]  # fmt: skip
    print(
        f"\nimport over {IMPORT_LIMIT}x `import boto3`: "
        + (
            f"{len(over_limit)} of {len(names)} functions (!): {', '.join(over_limit)}"
            if over_limit
            else f"none of {len(names)}"
        )
    )
    return rows


def report_streaming(names: list[str], median: dict) -> list[Row]:
    """The streaming functions as the Web Adapter runs them (UNDER_UVICORN)."""
    boto3_ms = median[("floor", "import boto3")]
    print(
        "\nthe streaming functions as the Web Adapter runs them (`python -m uvicorn app:app`, priming "
        "off), median in ms: uvicorn's own start up to the app's import, then `import app` inside it"
    )
    rows = []
    for name in names:
        start, imported = (median[(name, label)] for label in UVICORN_LABELS)
        ratio = imported / boto3_ms
        print(f"{name:<30} uvicorn {start:>6.1f}, then import app {imported:>6.1f} {ratio:>5.2f}x")
        rows.append(
            Row("cold import", f"{name}: import inside uvicorn", imported, "ms", "import boto3", boto3_ms,
                note=f"after uvicorn's own start, {start:.0f} ms")
        )  # fmt: skip
    return rows


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
    names = [function.code_uri.name for function in functions]

    with tempfile.TemporaryDirectory(prefix="bench-cold-import-") as tmp:
        variants = stage_artifacts(Path(tmp), layer_packages, python, functions)
        floor_env = lambda_like_environment(functions[0])  # any function's: boto3 reads none of it
        targets: list[Target] = [
            *(
                ("floor", (f"import {m}",), TIMED_IMPORT.format(module=m), floor_env, Path(tmp), False)
                for m in ("boto3", "botocore.session")
            ),
            *function_targets(functions, variants),
        ]
        samples: dict[tuple[str, str], list[float]] = {(t[0], label): [] for t in targets for label in t[1]}
        print(
            f"interpreter: {python.relative_to(REPO_ROOT)} ({version}); cryptography importable: "
            f"{'yes' if has_cryptography else 'no'}"
        )
        print(f"{len(targets)} measurements x {args.runs} fresh interpreters, interleaved ...", flush=True)
        for _ in range(args.runs):  # interleaved, so every measurement sees the same machine load
            for group, labels, code, env, cwd, dont_write in targets:
                for label, value in zip(labels, timed_run(python, code, env, cwd, dont_write), strict=True):
                    samples[(group, label)].append(value)
        median = {key: statistics.median(values) for key, values in samples.items()}
        fastest = {key: min(values) for key, values in samples.items()}
        slowest = max(names, key=lambda name: median[(name, "import")])
        slowest_target = next(t for t in targets if (t[0], t[1]) == (slowest, ("import",)))
        breakdown = import_breakdown(python, slowest_target[3], slowest_target[4])

    rows = report(names, median, fastest, args.runs)
    rows += report_streaming([f.code_uri.name for f in functions if f.web_adapter], median)
    top = ", ".join(f"{package} {ms:.0f} ms" for package, ms in breakdown[:6])
    print(f"slowest import ({slowest}), one -X importtime run, self time by package: {top}")
    print(f"interpreter: {python.relative_to(REPO_ROOT)}, {version}")
    write_rows(args.json, rows)


if __name__ == "__main__":
    main()
