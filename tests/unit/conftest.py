"""Unit-test fixtures: the real handlers in-process against moto's DynamoDB.

The settings' environment is put in place at import time (before anything imports
`bailian_chat`) and re-asserted per test with monkeypatch, so a test that changes a setting
cannot leak it. The settings and DynamoDB client caches are cleared around every test.
"""

import contextvars
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from tests.support.environment import UNIT_ENV, UNSET_ENV

os.environ.update(UNIT_ENV)
for _name in UNSET_ENV:
    os.environ.pop(_name, None)

import boto3  # noqa: E402
from argon2 import PasswordHasher  # noqa: E402
from bailian_chat import clock, config  # noqa: E402
from bailian_chat.auth import admin_users, passwords  # noqa: E402
from bailian_chat.store import concurrent_reads, dynamodb, keys  # noqa: E402
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer  # noqa: E402
from moto import mock_aws  # noqa: E402

from local.fake_bailian import FakeBailianServer, serve  # noqa: E402
from local.functions import import_handler_module  # noqa: E402
from tests.support import iam, payloads, template  # noqa: E402
from tests.support.chat_client import SteppingClock  # noqa: E402
from tests.support.events import DEFAULT_SOURCE_IP, LambdaContext  # noqa: E402
from tests.support.lambda_api import InProcessGateway  # noqa: E402
from tests.support.tokens import claims_of  # noqa: E402

FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "functions"


def clear_caches() -> None:
    config.get_settings.cache_clear()
    dynamodb.client.cache_clear()


@pytest.fixture(autouse=True)
def unit_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """The unit environment for this test. Yields `set_env(NAME=value, ...)` for tests that need a
    different setting (the settings cache is cleared so the change takes effect)."""
    for name, value in UNIT_ENV.items():
        monkeypatch.setenv(name, value)
    for name in UNSET_ENV:
        monkeypatch.delenv(name, raising=False)
    clear_caches()

    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        clear_caches()

    yield set_env
    clear_caches()


PRODUCTION_PASSWORD_HASHER = passwords._hasher
# argon2's smallest parameters: a hash costs ~0.1 ms instead of ~0.4 s of CPU at production's.
CHEAP_PASSWORD_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def use_password_hasher(monkeypatch: pytest.MonkeyPatch, hasher: PasswordHasher) -> None:
    monkeypatch.setattr(passwords, "_hasher", hasher)
    passwords._dummy_hash.cache_clear()  # the unknown-user hash is made with the hasher in use


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every unit test hashes passwords with argon2's cheapest parameters (verification reads the
    parameters from the hash, so it is cheap too); `production_password_hashing` opts out."""
    use_password_hasher(monkeypatch, CHEAP_PASSWORD_HASHER)
    yield
    passwords._dummy_hash.cache_clear()


@pytest.fixture
def production_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hasher Lambda runs (OWASP parameters), for the test that checks them."""
    use_password_hasher(monkeypatch, PRODUCTION_PASSWORD_HASHER)


@pytest.fixture(scope="session")
def raw_client():
    """One boto3 DynamoDB client for arranging and inspecting the table (creating a client costs
    ~60 ms; moto intercepts every client created after it was imported, while a mock is active)."""
    return boto3.client(
        "dynamodb",
        region_name=UNIT_ENV["AWS_REGION"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def table(unit_env, raw_client) -> Iterator[str]:
    """A moto-backed DynamoDB table created from template.yaml's own definition; yields its name."""
    with mock_aws():
        template.create_table(raw_client, UNIT_ENV["TABLE_NAME"])
        clear_caches()  # the application's client must be created inside the mock
        yield UNIT_ENV["TABLE_NAME"]
    clear_caches()


def import_function(name: str) -> ModuleType:
    """Imports functions/<name>/app.py as a fresh module; its handler (the ASGI functions have
    none) fails the test on a DynamoDB call the function's own policy does not allow."""
    module = import_handler_module(FUNCTIONS_DIR / name / "app.py")
    if hasattr(module, "handler"):
        module.handler = iam.checked_handler(name, module.handler)
    return module


@pytest.fixture(autouse=True)
def policy_checked_calls(monkeypatch):
    """Every DynamoDB client the layer creates reports its calls to tests.support.iam, and the reads
    made at once run in the calling handler's context (so they are checked as its own)."""
    make_client = dynamodb.aws_client

    def checked_client(service: str, endpoint_url: str | None = None):
        made = make_client(service, endpoint_url)
        if service == "dynamodb":
            made.meta.events.register("provide-client-params.dynamodb", iam.check_call, unique_id="iam")
        return made

    monkeypatch.setattr(dynamodb, "aws_client", checked_client)
    submit = concurrent_reads.POOL.submit
    monkeypatch.setattr(
        concurrent_reads.POOL, "submit", lambda read: submit(contextvars.copy_context().run, read)
    )


@pytest.fixture
def load_function(table) -> Callable[[str], ModuleType]:
    """`load_function("auth_login")` -> the function's module, imported inside the moto context."""
    return import_function


@pytest.fixture
def gateway(load_function) -> InProcessGateway:
    """The handlers behind template.yaml's routes, with the real authorizer in front."""
    return InProcessGateway(load_function)


@pytest.fixture
def steady_clock(monkeypatch: pytest.MonkeyPatch) -> SteppingClock:
    """Every write one second after the previous one: exact timestamps, no ties in the ordering."""
    fake = SteppingClock()
    monkeypatch.setattr(clock, "instant", fake)
    return fake


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()


@pytest.fixture
def ddb(table, raw_client):
    """A raw boto3 client on the moto table, for arranging and inspecting items directly."""
    return raw_client


@dataclass(frozen=True)
class SignedIn:
    """A registered user with a live session."""

    registration: dict
    user_id: int
    session_id: str
    access_token: str
    refresh_token: str


@pytest.fixture
def register(gateway) -> Callable[..., dict]:
    """`register(**overrides)` -> the registration body of a newly registered user (asserts 200)."""

    def _register(**overrides) -> dict:
        body = payloads.registration(**overrides)
        response = gateway.register(body)
        assert response.status == 200, response
        return {**body, "user_id": response.body["data"]["user_id"]}

    return _register


@pytest.fixture
def sign_in(gateway, register) -> Callable[..., SignedIn]:
    """`sign_in(registration=None, source_ip=...)` -> a logged-in user (registers one if not given)."""

    def _sign_in(registration: dict | None = None, source_ip: str = DEFAULT_SOURCE_IP) -> SignedIn:
        registration = registration or register()
        response = gateway.login(payloads.login_for(registration), source_ip=source_ip)
        assert response.status == 200, response
        data = response.body["data"]
        return SignedIn(
            registration=registration,
            user_id=data["user"]["user_id"],
            session_id=claims_of(data["access_token"])["sid"],
            access_token=data["access_token"],
            refresh_token=data["refresh_token"],
        )

    return _sign_in


@pytest.fixture
def signed_in(sign_in) -> SignedIn:
    return sign_in()


@pytest.fixture
def admin(sign_in, register) -> SignedIn:
    """A signed-in admin (made one as the `make admin` command does)."""
    session = sign_in(register(prefix="admin"))
    admin_users.make_admin(session.registration["username"])
    return session


@pytest.fixture
def put_attribute(ddb) -> Callable[[tuple[str, str], str, object], None]:
    """`put_attribute(keys.user(1), "status", 0)`: sets one attribute of an item directly in the table."""

    def _put(item_key: tuple[str, str], name: str, value: object) -> None:
        ddb.update_item(
            TableName=UNIT_ENV["TABLE_NAME"],
            Key={"PK": {"S": item_key[0]}, "SK": {"S": item_key[1]}},
            UpdateExpression="SET #name = :value",
            ExpressionAttributeNames={"#name": name},
            ExpressionAttributeValues={":value": TypeSerializer().serialize(value)},
            ConditionExpression="attribute_exists(PK)",
        )

    return _put


@pytest.fixture
def get_item(ddb) -> Callable[[tuple[str, str]], dict | None]:
    """`get_item(keys.user(1))` -> the item as plain Python values (or None)."""

    def _get(item_key: tuple[str, str]) -> dict | None:
        response = ddb.get_item(
            TableName=UNIT_ENV["TABLE_NAME"],
            Key={"PK": {"S": item_key[0]}, "SK": {"S": item_key[1]}},
            ConsistentRead=True,
        )
        item = response.get("Item")
        return None if item is None else {k: TypeDeserializer().deserialize(v) for k, v in item.items()}

    return _get


@pytest.fixture
def dynamodb_calls(table) -> list[str]:
    """The DynamoDB API calls the application makes from here on (operation names, in order).
    Counts the layer's own client, so a test that changes settings afterwards must not use it."""
    calls: list[str] = []
    dynamodb.client().meta.events.register(
        "before-call.dynamodb", lambda model, **_: calls.append(model.name)
    )
    return calls


FAKE_BAILIAN_KEY = "sk-unit-fake-upstream-0123456789"


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeBailianServer]:
    """The fake Bailian over real HTTP, one per test module."""
    with serve("127.0.0.1", 0, FAKE_BAILIAN_KEY, timeout_delay_seconds=5.0, access_log=False) as server:
        yield server


@pytest.fixture
def upstream(fake_server, table, unit_env) -> FakeBailianServer:
    """The functions' model client pointed at the fake, with a short deadline."""
    unit_env(
        BAILIAN_BASE_URL=fake_server.base_url,
        DASHSCOPE_API_KEY=FAKE_BAILIAN_KEY,
        BAILIAN_DEADLINE_SECONDS="2",
    )
    return fake_server


# A minute boundary + 10 s: a test never sees the rate limiter's window roll over.
HELD_CLOCK = 1_700_000_050


@pytest.fixture
def model(fake_server, unit_env, monkeypatch) -> FakeBailianServer:
    """The fake model for the functions, and the rate limiter's clock held at HELD_CLOCK."""
    unit_env(BAILIAN_BASE_URL=fake_server.base_url, DASHSCOPE_API_KEY=FAKE_BAILIAN_KEY)
    monkeypatch.setattr(clock, "now_seconds", lambda: HELD_CLOCK)  # the limiter's clock
    return fake_server


@pytest.fixture
def users(ddb) -> Callable[..., None]:
    """`users(1, 2)`: profile items for those ids, named user1, user2 (the deployment ranking counts
    users that exist)."""

    def _put(*user_ids: int) -> None:
        for user_id in user_ids:
            item = {**keys.pk_sk(keys.user(user_id)), "user_id": user_id, "username": f"user{user_id}"}
            ddb.put_item(
                TableName=UNIT_ENV["TABLE_NAME"],
                Item={name: TypeSerializer().serialize(value) for name, value in item.items()},
            )

    return _put


@pytest.fixture
def aggregate(load_function, lambda_context) -> Callable[..., dict]:
    """`aggregate(record, ...)`: the usage aggregator's answer to a stream batch of those records."""
    handler = load_function("usage_aggregator").handler

    def _run(*records: dict) -> dict:
        return handler({"Records": list(records)}, lambda_context)

    return _run


@pytest.fixture
def statistics_read_rounds(monkeypatch) -> list[int]:
    """How many reads the admin statistics send at once, one entry per round (appended as sent)."""
    from bailian_chat.store import deployment_statistics_rows

    rounds: list[int] = []
    read_concurrently = deployment_statistics_rows.read_concurrently
    monkeypatch.setattr(
        deployment_statistics_rows,
        "read_concurrently",
        lambda *reads: rounds.append(len(reads)) or read_concurrently(*reads),
    )
    return rounds
