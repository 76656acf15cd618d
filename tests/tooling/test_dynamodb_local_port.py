"""DynamoDB Local on a free port: java is handed the port by number (it takes no bound socket and
refuses port 0), so the port can be taken before java binds it; local.stack starts it again on a
new port then, and only then."""

import socket
from collections.abc import Iterator
from typing import ClassVar

import pytest

from local import stack
from local.dynamodb_local import DynamoDBLocalError, client


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port another process listens on (and never answers)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_a_port_taken_before_java_binds_it_is_replaced_by_a_new_one(monkeypatch, taken_port):
    real_free_port = stack.free_port
    handed_out: list[int] = []

    def free_port_that_loses_the_race(host: str = "127.0.0.1", port: int = 0) -> int:
        handed_out.append(taken_port if not handed_out else real_free_port(host, port))
        return handed_out[-1]

    monkeypatch.setattr(stack, "free_port", free_port_that_loses_the_race)

    with stack.run_dynamodb_local() as server:
        assert handed_out[0] == taken_port and len(handed_out) == 2
        assert server.port == handed_out[1] != taken_port
        assert client(server.endpoint).list_tables()["TableNames"] == []


class RefusingDynamoDBLocal:
    """Stands in for DynamoDBLocal: every start fails with `output` as java's last words."""

    output = ""
    ports: ClassVar[list[int]] = []

    def __init__(self, port: int, *, data_dir=None) -> None:
        self.port = port

    def start(self) -> None:
        type(self).ports.append(self.port)
        raise DynamoDBLocalError(f"DynamoDB Local exited during startup:\n{self.output}")


@pytest.fixture
def refusing(monkeypatch) -> type[RefusingDynamoDBLocal]:
    monkeypatch.setattr(stack, "DynamoDBLocal", RefusingDynamoDBLocal)
    monkeypatch.setattr(RefusingDynamoDBLocal, "ports", [])
    return RefusingDynamoDBLocal


def test_a_lost_port_is_retried_a_bounded_number_of_times(refusing, monkeypatch):
    monkeypatch.setattr(refusing, "output", "Caused by: java.net.BindException: Address already in use")

    with pytest.raises(DynamoDBLocalError, match="BindException"), stack.run_dynamodb_local():
        pass

    assert len(refusing.ports) == stack.DYNAMODB_LOCAL_PORT_ATTEMPTS


def test_other_startup_failures_are_not_retried(refusing, monkeypatch):
    monkeypatch.setattr(refusing, "output", "Error: Unable to access jarfile")

    with pytest.raises(DynamoDBLocalError, match="jarfile"), stack.run_dynamodb_local():
        pass

    assert len(refusing.ports) == 1


def test_a_port_asked_for_by_number_is_not_swapped_for_another(refusing, monkeypatch):
    monkeypatch.setattr(refusing, "output", "Caused by: java.net.BindException: Address already in use")
    port = stack.free_port()

    with pytest.raises(DynamoDBLocalError), stack.run_dynamodb_local(port=port):
        pass

    assert refusing.ports == [port]
