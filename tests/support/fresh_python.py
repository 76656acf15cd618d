"""Code run in a fresh interpreter (what a cold start imports cannot be seen in the test process,
which has imported everything already), and the script that imports every function as Lambda does."""

import os
import subprocess
import sys
from pathlib import Path

from tests.support.environment import UNIT_ENV

REPO_ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = sorted(path.parent.name for path in (REPO_ROOT / "functions").glob("*/app.py"))


def run_python(code: str, *, layer: Path = REPO_ROOT / "layers" / "common", **env: str) -> str:
    """stdout of `code` run from the repository's root in a fresh interpreter that has imported
    nothing of the layer yet (the unit settings in its environment, plus `env`); `layer`: the
    directory bailian_chat is imported from."""
    path = os.pathsep.join(map(str, (REPO_ROOT, layer)))
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env={**UNIT_ENV, **env, "PATH": os.environ.get("PATH", ""), "PYTHONPATH": path},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def each_function_imported(
    report: str, *, forget: tuple[str, ...] = (), setup: str = "", before: str = "pass"
) -> str:
    """A script that imports every function's app.py in turn, each as if alone in its interpreter
    (the layer, Powertools and the `forget` packages imported afresh; pydantic and botocore kept):
    the statement `setup` once, `before` ahead of each import, and {function: `report`} printed as
    JSON."""
    prefixes = ("aws_lambda_powertools", "bailian_chat", *forget)
    return f"""
import gc, importlib.util, json, sys
{setup}
found = {{}}
for function in {FUNCTIONS!r}:
    for name in [name for name in sys.modules if name.startswith({prefixes!r})]:
        del sys.modules[name]
    {before}
    spec = importlib.util.spec_from_file_location("app", f"functions/{{function}}/app.py")
    sys.modules["app"] = module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found[function] = {report}
print(json.dumps(found))
"""
