"""End-to-end fixtures: the local stack (DynamoDB Local in memory + the local API gateway over the
real template and handlers) on free ports, and an HTTP client for it."""

import secrets
from collections.abc import Iterator

import httpx
import pytest

from local.stack import LocalStack
from tests.support.chat_client import ChatApi, User, new_user

# A short model-call deadline (and a fake that answers `#fault:timeout` after it) keeps the
# timeout tests fast; the production default is 25 s inside API Gateway's 29 s.
E2E_ENV_VARS = {"Parameters": {"BAILIAN_DEADLINE_SECONDS": "4"}}
FAKE_BAILIAN_TIMEOUT_DELAY = 8.0


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    with LocalStack(
        jwt_secret=secrets.token_urlsafe(48),
        env_vars=E2E_ENV_VARS,
        fake_bailian_timeout_delay=FAKE_BAILIAN_TIMEOUT_DELAY,
    ) as running:
        yield running


@pytest.fixture
def api(stack: LocalStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def owner(stack) -> User:
    """One user per test module, for tests that only look at their own data (not list totals)."""
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        return new_user(client, "owner")


@pytest.fixture(scope="module")
def stranger(stack) -> User:
    """Someone else, whose resources the owner may not touch (and the reverse)."""
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        return new_user(client, "stranger")


@pytest.fixture
def chat(api, owner) -> ChatApi:
    return ChatApi(api, owner)


@pytest.fixture
def other(api, stranger) -> ChatApi:
    return ChatApi(api, stranger)
