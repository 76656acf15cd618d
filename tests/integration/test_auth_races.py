"""Auth races against DynamoDB Local (issue 9): parallel refreshes with one token, and a burst of
parallel login attempts, with real threads on real conditional writes."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from bailian_chat.auth import access, passwords, service
from bailian_chat.auth.models import LoginRequest, RegisterRequest
from bailian_chat.errors import RateLimited, Unauthorized

pytestmark = pytest.mark.usefixtures("services")
PASSWORD = "password-123"
CLIENT_IP = "192.0.2.44"


def run_at_once(task, count: int) -> list:
    """task() on `count` threads released together; the results or raised errors."""
    start = threading.Barrier(count)

    def attempt(_):
        start.wait()
        try:
            return task()
        except Exception as error:
            return error

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(attempt, range(count)))


@pytest.fixture
def user(unique) -> dict:
    return service.register(
        RegisterRequest(username=f"race{unique}", email=f"race{unique}@example.com", password=PASSWORD)
    )


def login(username: str, password: str) -> service.TokenPair:
    return service.login(LoginRequest(username=username, password=password), CLIENT_IP)[0]


def test_eight_parallel_refreshes_with_one_token_all_get_the_same_rotation(user):
    session = login(user["username"], PASSWORD)

    outcomes = run_at_once(lambda: service.refresh(session.refresh_token), 8)

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert len({pair.refresh_token for pair in outcomes}) == 1
    for pair in outcomes:
        access.authenticate(pair.access_token)  # the session was not revoked
    assert service.refresh(outcomes[0].refresh_token).refresh_token != outcomes[0].refresh_token


def test_a_burst_of_30_wrong_passwords_gets_exactly_the_limit_of_password_checks(user, monkeypatch):
    checks = []
    real_verify = passwords.verify_password

    def counted_verify(password_hash, password):
        checks.append(password)
        return real_verify(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", counted_verify)

    outcomes = run_at_once(lambda: login(user["username"], "wrong password"), 30)

    assert len(checks) == 5
    assert sum(isinstance(o, Unauthorized) for o in outcomes) == 5
    assert sum(isinstance(o, RateLimited) for o in outcomes) == 25
    with pytest.raises(RateLimited):
        login(user["username"], PASSWORD)  # the right password, after the limit: refused
    assert len(checks) == 5
