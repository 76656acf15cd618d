"""Build step (local/build.sh, after `sam build` and compileall): writes the layer's precompiled
generated code (bailian_chat/generated_code.py says what and why) into the built layer.

Each function is imported and primed, as Lambda's init does, in a fresh interpreter that records
every text dataclasses, typing and collections compile; the union of all functions' is the cache.
The recording interpreter must be the runtime's Python minor version (the bytecode is bound to it:
a cache from another one is ignored at run time). make build records with the project's .venv,
which has the layer's pinned packages (and dev tools: a text only they generate is an entry no
function looks up), and the project's source (the files sam build copies), so a build for arm64
is recorded on any machine; the cold-start bench records its Lambda-like interpreter against its
staged layer the same way.

    .venv/bin/python -m local.generated_code .aws-sam/build/CommonLayer/python
"""

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from local.function_env import lambda_like_environment
from local.template import REPO_ROOT, Function, Template

LAYER_SOURCE = REPO_ROOT / "layers" / "common"
MODULE_PATH = Path("bailian_chat") / "generated_code.py"

# Run in the function's directory: the recorder starts before the layer's package is imported. A
# warm-start step that fails (it only logs, as at init) would leave what it builds unrecorded.
RECORD = """
import importlib.util, logging, sys
spec = importlib.util.spec_from_file_location("generated_code_recorder", {module!r})
recorder = importlib.util.module_from_spec(spec)
spec.loader.exec_module(recorder)
entries = recorder.record()
class Failures(logging.Handler):
    def emit(self, record):
        sys.exit(f"priming failed: {{record.getMessage()}}")
logging.getLogger("bailian_chat.warm_start").addHandler(Failures())
import app  # imported and primed (AWS_LAMBDA_FUNCTION_NAME is set), as at init
recorder.write(entries, {output!r})
"""


def layer_module(layer_dir: Path = LAYER_SOURCE):
    """bailian_chat.generated_code loaded on its own (the tool does not import the layer)."""
    spec = importlib.util.spec_from_file_location("generated_code_tool", layer_dir / MODULE_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CACHE_NAME = layer_module().CACHE_NAME  # what install() reads, next to the module
# make build's other precompiling (local/build.sh runs the same): a .pyc for every module,
# unchecked-hash so that it stays valid whatever timestamps the zip gives the sources.
PRECOMPILE = ("-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash")


def precompile(python: str, root: Path, env: dict[str, str] | None = None) -> None:
    subprocess.run([python, *PRECOMPILE, str(root)], env=env, check=True, stdout=subprocess.DEVNULL)


def record_function(python: str, function: Function, layer_dir: Path, code_dir: Path, output: Path) -> None:
    """One function's recording, written to `output` (a cache file of its own)."""
    env = lambda_like_environment(function)
    env["PYTHONPATH"] = os.pathsep.join(map(str, (code_dir, layer_dir)))
    code = RECORD.format(module=str(layer_dir / MODULE_PATH), output=str(output))
    done = subprocess.run([python, "-c", code], cwd=code_dir, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"recording {function.code_uri.name} failed:\n{done.stderr[-3000:]}")


def record_all(
    python: str,
    functions: list[Function],
    layer_dir: Path,
    code_dir_of: Callable[[Function], Path],
    output: Path,
) -> tuple[int, dict[str, int]]:
    """Records every function (in parallel), writes their union to `output`; returns its size and
    how many entries each function recorded."""
    tool = layer_module(layer_dir)
    with tempfile.TemporaryDirectory(prefix="generated-code-") as tmp:
        outputs = {f.code_uri.name: Path(tmp) / f"{f.code_uri.name}.marshal" for f in functions}
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            jobs = [
                pool.submit(record_function, python, f, layer_dir, code_dir_of(f), outputs[f.code_uri.name])
                for f in functions
            ]
            for job in jobs:
                job.result()
        entries, per_function = {}, {}
        for name, path in outputs.items():
            recorded = tool.load(str(path))
            if recorded is None:
                raise SystemExit(f"recording {name}: unreadable (another Python version than {sys.version}?)")
            per_function[name] = len(recorded)
            entries.update(recorded)
    tool.write(entries, str(output))
    return len(entries), per_function


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("layer_python", type=Path, help="the built layer's python/ directory")
    args = parser.parse_args()
    target = args.layer_python / "bailian_chat"
    if not target.is_dir():
        parser.error(f"{target} is not a built layer's bailian_chat package")
    if target.resolve() == (LAYER_SOURCE / "bailian_chat").resolve():
        parser.error("that is the source tree: the tests and make dev run without the cache")
    template = Template(resource_values={"Table": "generated-code"})
    functions = sorted(template.functions.values(), key=lambda f: f.code_uri.name)
    output = target / CACHE_NAME
    # recorded with this interpreter (make build: the project's .venv, Python 3.13)
    total, per_function = record_all(sys.executable, functions, LAYER_SOURCE, lambda f: f.code_uri, output)
    low, high = min(per_function.values()), max(per_function.values())
    print(
        f"generated code precompiled: {total} sources "
        f"({output.stat().st_size / 2**10:.0f} KiB, {low}-{high} per function) -> {output}"
    )


if __name__ == "__main__":
    main()
