"""The README's "Use it from the OpenAI SDK, LangChain and `curl -N`" examples run as written against
the local stack (only its base URL and a fresh user's token differ from `make dev`)."""

import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.support.model_client import sign_up

pytestmark = pytest.mark.needs_handlers

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Use it from the OpenAI SDK, LangChain and `curl -N`"
DEV_URL = "http://127.0.0.1:3000"


def section_blocks(language: str) -> list[str]:
    text = README.read_text()
    assert SECTION in text
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.DOTALL)


@pytest.fixture
def token(api) -> str:
    return sign_up(api, "readme").access_token


def run(command: list[str], stack, token: str, source: str) -> str:
    result = subprocess.run(
        command,
        input=source.replace(DEV_URL, stack.base_url),
        env={**os.environ, "TOKEN": token},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_sdk_example_runs(stack, token):
    [sdk_example] = [block for block in section_blocks("python") if "from openai import" in block]

    output = run([sys.executable, "-"], stack, token, sdk_example)

    assert "Echo: Hello, please introduce yourself" in output
    assert "Echo: Tell me a story" in output
    assert re.search(r"\[\d+ tokens\]", output)
    assert "'qwen-plus'" in output


def test_the_langchain_example_runs(stack, token):
    [langchain_example] = [block for block in section_blocks("python") if "langchain_openai" in block]

    output = run([sys.executable, "-"], stack, token, langchain_example)

    assert output.count("Echo: ") == 2


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("jq") is None, reason="needs curl and jq")
def test_the_curl_examples_run(stack):
    setup, streaming = section_blocks("bash")
    script = f"set -euo pipefail\n{setup}\n{streaming}".replace("alice", f"alice_{uuid.uuid4().hex[:10]}")

    output = run(["bash", "-"], stack, "unused", script)

    assert "data: [DONE]" in output
    assert "event: message" in output
    assert "event: delta" in output
    assert "event: reply" in output
