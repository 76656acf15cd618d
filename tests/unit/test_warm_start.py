"""bailian_chat.warm_start: in a Lambda environment the clients a function imported are created
and primed at init -- without a request reaching DynamoDB -- and a priming that fails never stops
the function from starting; the pydantic models of the function's routes are built then too."""

import json

import pytest
from bailian_chat import config, warm_start
from bailian_chat.bailian import client as model_client
from bailian_chat.store import dynamodb

from tests.support.fresh_python import each_function_imported, run_python


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


def _run(code: str, **env: str):
    """What `code` prints (JSON), run in a fresh interpreter."""
    return json.loads(run_python(code, **env))


def _route_models_built(**env: str) -> dict:
    """Which models are built once functions/messages_send/app.py is imported, in a fresh process."""
    return _run(ROUTE_MODELS, **env)


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


STREAMING_MODELS = """
import json, sys
sys.path.insert(0, "functions/{function}")
import app
from bailian_chat.chat import openai_request, reply_streams
print(json.dumps({{name: getattr(module, name).__pydantic_complete__ for module, name in (
    (openai_request, "OpenAIChatRequest"), (openai_request, "UserMessage"), (openai_request, "ImagePart"),
    (reply_streams, "StreamSendRequest"))}}))
"""


@pytest.mark.parametrize(
    ("function", "built"),
    [
        # its request, and what it nests: a user message and an image part of its content
        ("v1_chat_completions", {"OpenAIChatRequest", "UserMessage", "ImagePart"}),
        ("conversations_messages_stream", {"StreamSendRequest"}),
    ],
)
def test_a_streaming_function_builds_its_request_models_at_init_in_lambda_only(function, built):
    """The ASGI functions have no Powertools route to read models from: create_asgi_app is told."""
    in_lambda = _run(STREAMING_MODELS.format(function=function), AWS_LAMBDA_FUNCTION_NAME="Streaming")
    assert {name for name, complete in in_lambda.items() if complete} == built
    assert set(_run(STREAMING_MODELS.format(function=function)).values()) == {False}


# The collections during each function's import, and the collector once it is imported.
COLLECTOR_DURING_IMPORTS = each_function_imported(
    "[len(collections), gc.isenabled(), gc.get_freeze_count() > frozen]",
    setup=(
        "collections = []\n"
        "gc.callbacks.append(lambda phase, _: phase == 'start' and collections.append(phase))"
    ),
    before="gc.collect(); collections.clear(); frozen = gc.get_freeze_count()",
)
IN_LAMBDA = {"AWS_EXECUTION_ENV": "AWS_Lambda_python3.13"}


@pytest.mark.parametrize("priming", [False, True], ids=["import", "init"])
def test_in_a_lambda_environment_every_function_imports_with_the_collector_paused(priming):
    """No collection while a function imports (and, at init, primes); once it has, the collector runs
    again (prime is the last thing every function's module does) and what the import made is frozen."""
    env = {**IN_LAMBDA, **({"AWS_LAMBDA_FUNCTION_NAME": "SomeFunction"} if priming else {})}
    found = _run(COLLECTOR_DURING_IMPORTS, **env)

    assert len(found) > 30
    assert {function: state for function, state in found.items() if state != [0, True, True]} == {}


def test_outside_lambda_the_collector_is_left_alone():
    found = _run(COLLECTOR_DURING_IMPORTS)

    assert {tuple(state[1:]) for state in found.values()} == {(True, False)}  # running, nothing frozen
    assert sum(state[0] for state in found.values()) > 0  # it collected during the imports


@pytest.mark.parametrize(
    ("value", "lambda_"),
    [("AWS_Lambda_python3.13", True), ("", False), ("AWS_ECS_FARGATE", False), ("CloudShell", False)],
)
def test_only_lambdas_execution_environment_pauses_the_collector(monkeypatch, value, lambda_):
    """ECS and CloudShell set AWS_EXECUTION_ENV too; there the collector must keep running."""
    monkeypatch.setenv("AWS_EXECUTION_ENV", value)
    assert config.in_lambda_execution_environment() is lambda_


COLLECTOR_TURNED_OFF_BEFORE = """
import gc, json
gc.disable()
from bailian_chat import warm_start
warm_start.prime()
print(json.dumps(gc.isenabled()))
"""


def test_a_collector_turned_off_before_the_import_stays_off():
    assert _run(COLLECTOR_TURNED_OFF_BEFORE, **IN_LAMBDA) is False
    assert _run(COLLECTOR_TURNED_OFF_BEFORE) is False
