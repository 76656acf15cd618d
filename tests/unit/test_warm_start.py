"""bailian_chat.warm_start: in a Lambda environment the clients a function imported are created
and primed at init -- without a request reaching DynamoDB -- and a priming that fails never stops
the function from starting."""

from bailian_chat import warm_start
from bailian_chat.bailian import client as model_client
from bailian_chat.store import dynamodb


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


def _recording_body(sent: list[str]):
    class RecordingBody(dynamodb._EmptyBody):
        def stream(self, **kwargs):
            sent.append("answered in-process")
            yield from super().stream(**kwargs)

    return RecordingBody
