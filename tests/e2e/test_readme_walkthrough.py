"""The README's curl walk-through runs top to bottom as written (issue 9, item 12): its bash block,
against the test stack, with every request answering 200."""

import os
import re
import subprocess
import uuid
from pathlib import Path

import pytest

from local.template import REPO_ROOT

pytestmark = pytest.mark.needs_handlers

# Records each request's status without changing what the walk-through sees on stdout.
RECORDING_CURL = """
set -euo pipefail
curl() {
  local body status
  body=$(mktemp)
  status=$(command curl -o "$body" -w '%{http_code}' "$@")
  cat "$body"
  rm -f "$body"
  local request="$*"
  printf '%s %s\\n' "$status" "${request//$'\\n'/ }" >> "$STEP_LOG"
}
"""


def walkthrough(readme: Path = REPO_ROOT / "README.md") -> str:
    section = readme.read_text(encoding="utf-8").split("## Trying it with curl", 1)[1]
    match = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert match, "no bash block under 'Trying it with curl'"
    return match.group(1)


def test_the_walkthrough_has_a_request_per_spec_section():
    script = walkthrough()

    numbered = set(re.findall(r"^# (\d\.\d)", script, re.MULTILINE))
    assert {
        "1.1",
        "1.2",
        "1.3",
        "1.4",
        "1.5",
        "2.1",
        "2.2",
        "2.3",
        "2.5",
        "3.1",
        "3.2",
        "4.1",
        "5.1",
    } <= numbered


def test_every_step_of_the_readme_walkthrough_succeeds(stack, tmp_path):
    script = walkthrough()
    step_log = tmp_path / "steps"
    step_log.touch()
    environment = {
        **os.environ,
        "API": stack.base_url,
        "ME": f"readme_{uuid.uuid4().hex[:10]}",
        "STEP_LOG": str(step_log),
    }

    run = subprocess.run(
        ["bash", "-c", RECORDING_CURL + script],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    steps = step_log.read_text().splitlines()
    assert run.returncode == 0, run.stderr + run.stdout
    assert len(steps) == len(re.findall(r"\bcurl -s", script)), steps  # every request ran
    failed = [step for step in steps if not step.startswith("200 ")]
    assert failed == [], "\n".join(failed) + "\n" + run.stdout
