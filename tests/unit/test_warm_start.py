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

ROOT = Path(__file__).resolve().parents[2]


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
    """What `code` prints (JSON), run in a fresh process from the repository's root."""
    path = f"{ROOT}:{ROOT / 'layers' / 'common'}"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**UNIT_ENV, **env, "PATH": os.environ.get("PATH", ""), "PYTHONPATH": path},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


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
sys.path.insert(0, "functions/v1_chat_completions")
import app
from bailian_chat.chat import openai_request
print(json.dumps({name: getattr(openai_request, name).__pydantic_complete__
                  for name in ("OpenAIChatRequest", "UserMessage", "ImagePart")}))
"""


def test_a_streaming_function_builds_its_request_models_at_init_in_lambda_only():
    """The ASGI functions have no Powertools route to read models from: create_asgi_app is told."""
    assert _run(STREAMING_MODELS, AWS_LAMBDA_FUNCTION_NAME="V1ChatCompletions") == {
        "OpenAIChatRequest": True,
        "UserMessage": True,  # nested in its messages
        "ImagePart": True,  # nested in a user message's content
    }
    assert set(_run(STREAMING_MODELS).values()) == {False}


# Every function as Lambda imports it (each as if alone in its interpreter: the layer and Powertools
# imported afresh, pydantic and botocore kept): the collections during its import, and the collector
# once it is imported.
COLLECTOR_DURING_IMPORTS = f"""
import gc, importlib.util, json, sys
collections = []
gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(1))
found = {{}}
for function in {sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py"))!r}:
    for name in [name for name in sys.modules if name.startswith(("aws_lambda_powertools", "bailian_chat"))]:
        del sys.modules[name]
    gc.collect()
    collections.clear()
    frozen = gc.get_freeze_count()
    spec = importlib.util.spec_from_file_location("app", f"functions/{{function}}/app.py")
    sys.modules["app"] = module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found[function] = [len(collections), gc.isenabled(), gc.get_freeze_count() > frozen]
print(json.dumps(found))
"""


def test_in_a_lambda_environment_every_function_imports_with_the_collector_paused():
    """No collection while a function imports; once it has, the collector runs again (prime is the
    last thing every function's module does) and what the import made is frozen."""
    found = _run(COLLECTOR_DURING_IMPORTS, AWS_EXECUTION_ENV="AWS_Lambda_python3.13")

    assert len(found) > 30
    assert {function: state for function, state in found.items() if state != [0, True, True]} == {}


def test_outside_lambda_the_collector_is_left_alone():
    found = _run(COLLECTOR_DURING_IMPORTS)

    assert {tuple(state[1:]) for state in found.values()} == {(True, False)}  # running, nothing frozen
    assert sum(state[0] for state in found.values()) > 0  # it collected during the imports
