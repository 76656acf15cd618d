"""`sam local start-api` serves the API from Lambda containers against the local parts, the way
`make sam-local` runs it: register, log in, call protected routes (one writes DynamoDB, one calls
the fake Bailian).

Needs a Docker engine and the Lambda Python 3.13 base image in it (pulled, or the stand-in that
`bash local/lambda_base_image.sh` builds offline); skipped with the reason otherwise.
"""

import contextlib
import platform
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from local.sam_local import (
    SAM_DIR,
    SamLocalError,
    build,
    host_address,
    host_architecture,
    start_api_command,
    start_local_parts,
)
from local.stack import free_port
from local.template import REPO_ROOT

START_TIMEOUT_SECONDS = 180  # sam starts the API only after it has built the runtime image
# The first request to each function starts its container.
REQUEST_TIMEOUT_SECONDS = 120


def docker_answers() -> bool:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        return (
            subprocess.run(["docker", "info"], capture_output=True, timeout=20, check=False).returncode == 0
        )
    return False


def base_image() -> str:
    return f"public.ecr.aws/lambda/python:3.13-{host_architecture(platform.machine())}"


def image_present(image: str) -> bool:
    inspect = subprocess.run(["docker", "image", "inspect", image], capture_output=True, check=False)
    return inspect.returncode == 0


def wait_until_listening(process: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"sam local start-api exited with {process.returncode}")
        with contextlib.suppress(httpx.TransportError):
            httpx.get(url, timeout=2)
            return
        time.sleep(1)
    raise AssertionError(f"sam local start-api did not listen on {url}")


@pytest.fixture(scope="module")
def sam_api(tmp_path_factory) -> Iterator[str]:
    if not docker_answers():
        pytest.skip("no Docker engine runs here (start dockerd to run the API through sam local start-api)")
    if not image_present(base_image()):
        pytest.skip(f"{base_image()} is not in Docker: pull it, or run bash local/lambda_base_image.sh")
    try:
        address = host_address()
    except SamLocalError as error:
        pytest.skip(str(error))
    built_template = build(SAM_DIR)
    port = free_port()
    log_path = tmp_path_factory.mktemp("sam") / "start-api.log"
    with contextlib.ExitStack() as resources:
        env_file = start_local_parts(
            resources,
            address,
            data_dir=None,  # in memory: the test's users stay out of `make dev`'s data
            jwt_secret=secrets.token_urlsafe(48),
            env_file=tmp_path_factory.mktemp("sam-env") / "env.json",
        )
        command = start_api_command(built_template, env_file, port=port, skip_pull_image=True)
        log = resources.enter_context(open(log_path, "wb"))
        process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            # An unknown route: sam answers it itself, without starting a container.
            wait_until_listening(process, f"http://127.0.0.1:{port}/not-a-route")
            yield f"http://127.0.0.1:{port}"
        except AssertionError as error:
            raise AssertionError(f"{error}\n{log_path.read_text(errors='replace')[-4000:]}") from error
        finally:
            process.send_signal(signal.SIGINT)  # sam stops its containers on Ctrl-C
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_register_login_and_protected_routes_through_sam_local(sam_api):
    client = httpx.Client(base_url=sam_api, timeout=REQUEST_TIMEOUT_SECONDS)
    account = {"username": "samlocal", "email": "samlocal@example.com", "password": "Secret-pass-123"}

    registered = client.post("/api/auth/register", json=account)
    assert registered.status_code == 200, registered.text
    assert registered.json()["data"]["username"] == "samlocal"
    login = client.post("/api/auth/login", json={"username": "samlocal", "password": account["password"]})
    assert login.status_code == 200, login.text
    auth = {"Authorization": f"Bearer {login.json()['data']['access_token']}"}

    user = client.get("/api/auth/user", headers=auth)
    assert user.status_code == 200, user.text
    assert user.json()["code"] == 200 and user.json()["message"] == "Retrieval successful"
    assert user.json()["data"]["username"] == "samlocal"
    created = client.post("/api/conversations", headers=auth, json={"model_name": "qwen-plus", "title": "Hi"})
    assert created.status_code == 200, created.text
    completion = client.post(
        "/api/bailian/chat/completions",
        headers=auth,
        json={"model": "qwen-plus", "messages": [{"role": "user", "content": "Hello"}]},
    )
    assert completion.status_code == 200, completion.text
    # SAM local applies no GatewayResponses: its own 401 is not in the envelope (README says so).
    assert client.get("/api/auth/user").status_code == 401
