"""bailian_chat.warm_start: in a Lambda environment the clients a function imported are created
and primed at init -- without a request reaching DynamoDB -- and a priming that fails never stops
the function from starting; the pydantic models of the function's routes are built then too."""

import json
import os
import subprocess
import sys
from pathlib import Path

from bailian_chat import warm_start
from bailian_chat.bailian import client as model_client
from bailian_chat.store import dynamodb

from tests.support.environment import UNIT_ENV


def test_nothing_is_primed_outside_lambda(table):
    warm_start.prime()
    assert dynamodb.client.cache_info().currsize == 0


def test_in_lambda_the_clients_are_created_and_no_request_reaches_the_table(table, unit_env, monkeypatch):
    unit_env(AWS_LAMBDA_FUNCTION_NAME="SomeFunction")
    model_client._http.cache_clear()
    sent: list[str] = []
    monkeypatch.setattr(dynamodb, "_EmptyBody", _recording_body(sent))
    warm_start.prime()
    assert dynamodb.client.cache_info().currsize == 1
    assert model_client._http.cache_info().currsize == 1
    assert sent == ["answered in-process"]  # the GetItem's send was answered by the primer
    # The client is left as it was: the next GetItem goes to the table (moto) again.
    assert dynamodb.get_item("PRIME", "PRIME") is None
    assert sent == ["answered in-process"]


def test_a_failing_priming_leaves_the_work_to_the_first_request(table, unit_env, monkeypatch):
    unit_env(AWS_LAMBDA_FUNCTION_NAME="SomeFunction")

    tried = []

    def fail() -> None:
        tried.append("dynamodb")
        raise RuntimeError("no credentials")

    monkeypatch.setattr(dynamodb, "prime_client", fail)
    warm_start.prime()  # does not raise
    assert tried == ["dynamodb"]
    assert dynamodb.get_item("PRIME", "PRIME") is None  # the first request's client still works


def test_each_warm_start_step_is_tried_whatever_failed_before_it(table, unit_env, monkeypatch):
    unit_env(AWS_LAMBDA_FUNCTION_NAME="SomeFunction")
    tried = []

    def fail(name: str):
        def step() -> None:
            tried.append(name)
            raise RuntimeError(name)

        return step

    monkeypatch.setattr(dynamodb, "prime_client", fail("dynamodb"))
    warm_start.prime(fail("routes"), lambda: tried.append("last"))  # does not raise

    assert tried == ["dynamodb", "routes", "last"]


def _recording_body(sent: list[str]):
    class RecordingBody(dynamodb._EmptyBody):
        def stream(self, **kwargs):
            sent.append("answered in-process")
            yield from super().stream(**kwargs)

    return RecordingBody


ROUTE_MODELS = """
import json, sys
sys.path.insert(0, "functions/messages_send")
import app
from bailian_chat.chat import models, responses
print(json.dumps({name: getattr(module, name).__pydantic_complete__ for module, name in (
    (models, "SendMessageOptions"), (responses, "SentMessage"), (responses, "Message"),
    (responses, "ConversationPage"))}))
"""


def _route_models_built(**env: str) -> dict:
    """Which models are built once functions/messages_send/app.py is imported, in a fresh process."""
    root = Path(__file__).resolve().parents[2]
    path = f"{root}:{root / 'layers' / 'common'}"
    done = subprocess.run(
        [sys.executable, "-c", ROUTE_MODELS],
        cwd=root,
        env={**UNIT_ENV, **env, "PATH": os.environ.get("PATH", ""), "PYTHONPATH": path},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_in_lambda_init_builds_the_models_of_the_routes_and_only_those():
    """The models are defer_build: at init a function builds what its handler reads and answers,
    and the models those nest (not at its first request), and never a model it does not use."""
    assert _route_models_built(AWS_LAMBDA_FUNCTION_NAME="MessagesSend") == {
        "SendMessageOptions": True,
        "SentMessage": True,
        "Message": True,  # nested in SentMessage, and built by the domain itself
        "ConversationPage": False,
    }


def test_outside_lambda_no_model_is_built_at_import():
    assert set(_route_models_built().values()) == {False}
