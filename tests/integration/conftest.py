"""Integration fixtures: the layer's services in-process against Amazon's DynamoDB Local, for what
moto cannot show (conditional writes and transactions that really are atomic under concurrency)."""

import uuid
from collections.abc import Iterator

import pytest
from bailian_chat import config
from bailian_chat.store import dynamodb

from local.dynamodb_local import ensure_table
from local.stack import run_dynamodb_local
from tests.support.environment import UNIT_ENV

TABLE = "bailian-chat-integration"


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[str]:
    with run_dynamodb_local() as server:
        ensure_table(server.endpoint, TABLE)
        yield server.endpoint


@pytest.fixture
def services(dynamodb_local, monkeypatch) -> Iterator[None]:
    """Settings pointing the layer at DynamoDB Local (caches cleared so they take effect)."""
    for name, value in {**UNIT_ENV, "TABLE_NAME": TABLE, "DYNAMODB_ENDPOINT": dynamodb_local}.items():
        monkeypatch.setenv(name, value)
    config.get_settings.cache_clear()
    dynamodb.client.cache_clear()
    yield
    config.get_settings.cache_clear()
    dynamodb.client.cache_clear()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]
