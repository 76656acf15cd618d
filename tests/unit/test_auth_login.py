"""POST /api/auth/login (spec 1.2) through the real handler, against moto: credentials, the
response shape, disabled accounts, bad bodies and the per-account+IP failure throttle."""

import json

import pytest
from bailian_chat import clock
from bailian_chat.auth import passwords, service
from bailian_chat.auth.models import LoginRequest
from bailian_chat.errors import DomainError
from bailian_chat.store import keys

from tests.support.events import DEFAULT_SOURCE_IP
from tests.support.payloads import login_for
from tests.support.tokens import claims_of
from tests.support.user_shape import ISO_SECONDS_Z, LOGIN_USER_FIELDS

BAD_CREDENTIALS = {"code": 401, "message": "Username or password incorrect", "data": None}
DISABLED = {"code": 403, "message": "User account has been disabled", "data": None}
LOCKED_OUT = {"code": 429, "message": "Too many failed login attempts, try again later", "data": None}
OTHER_IP = "203.0.113.99"
WRONG_PASSWORD = "not the password"


def fail_logins(gateway, account: str, times: int, source_ip: str | None = None) -> list[int]:
    kwargs = {"source_ip": source_ip} if source_ip else {}
    return [
        gateway.login({"username": account, "password": WRONG_PASSWORD}, **kwargs).status
        for _ in range(times)
    ]


# ----------------------------------------------------------------------------- success


def test_login_with_username_returns_tokens_and_user_in_the_spec_shape(gateway, register):
    user = register(nickname="Nick", phone="13800138000")

    response = gateway.login(login_for(user))

    assert response.status == 200
    assert response.body["code"] == 200
    assert response.body["message"] == "Login successful"
    data = response.body["data"]
    assert set(data) == {"access_token", "refresh_token", "expires_in", "user"}
    assert data["expires_in"] == 3600
    assert isinstance(data["access_token"], str) and data["access_token"].count(".") == 2
    assert isinstance(data["refresh_token"], str) and data["refresh_token"].count(".") == 2
    assert data["access_token"] != data["refresh_token"]
    assert data["user"] == {
        "user_id": user["user_id"],
        "username": user["username"],
        "email": user["email"],
        "nickname": "Nick",
        "avatar_url": None,
        "phone": "13800138000",
        "status": 1,
        "role": "user",
    }
    assert set(data["user"]) == LOGIN_USER_FIELDS


def test_login_with_email_returns_tokens(gateway, register):
    user = register()

    response = gateway.login(login_for(user, by="email"))

    assert response.status == 200
    assert response.body["data"]["user"]["user_id"] == user["user_id"]


@pytest.mark.parametrize("by", ["username", "email"])
def test_login_with_identifier_in_other_case_returns_tokens(gateway, register, by):
    user = register()

    response = gateway.login({"username": user[by].upper(), "password": user["password"]})

    assert response.status == 200
    assert response.body["data"]["user"]["user_id"] == user["user_id"]


def test_login_with_surrounding_whitespace_in_identifier_returns_tokens(gateway, register):
    user = register()

    response = gateway.login({"username": f"  {user['username']} ", "password": user["password"]})

    assert response.status == 200


def test_login_never_returns_the_password_or_its_hash(gateway, register):
    user = register()

    raw = json.dumps(gateway.login(login_for(user)).body)

    assert user["password"] not in raw
    assert "password" not in raw
    assert "$argon2" not in raw


def test_login_tokens_carry_the_user_and_one_session(gateway, register):
    user = register()

    data = gateway.login(login_for(user)).body["data"]

    access, refresh = claims_of(data["access_token"]), claims_of(data["refresh_token"])
    assert access["sub"] == refresh["sub"] == str(user["user_id"])
    assert access["sid"] == refresh["sid"]
    assert (access["typ"], refresh["typ"]) == ("access", "refresh")
    assert 3595 <= access["exp"] - access["iat"] <= 3600  # iat is taken a moment after login began


def test_login_twice_starts_two_sessions(gateway, register):
    user = register()

    first = gateway.login(login_for(user)).body["data"]
    second = gateway.login(login_for(user)).body["data"]

    assert claims_of(first["access_token"])["sid"] != claims_of(second["access_token"])["sid"]


def test_login_sets_last_login_at_visible_to_current_user(gateway, register):
    user = register()
    before = clock.now_epoch()

    token = gateway.login(login_for(user)).body["data"]["access_token"]
    profile = gateway.current_user(token).body["data"]

    assert ISO_SECONDS_Z.match(profile["last_login_at"]), profile["last_login_at"]
    assert clock.iso_from_epoch(before) <= profile["last_login_at"] <= clock.iso_from_epoch(clock.now_epoch())


def test_user_who_never_logged_in_has_no_last_login_at(gateway, register, get_item):
    user = register()

    assert "last_login_at" not in get_item(keys.user(user["user_id"]))


# ----------------------------------------------------------------------------- rejections


def test_login_with_wrong_password_returns_401(gateway, register):
    user = register()

    response = gateway.login(login_for(user, password=WRONG_PASSWORD))

    assert response.status == 401
    assert response.body == BAD_CREDENTIALS


def test_login_with_password_in_other_case_returns_401(gateway, register):
    user = register()

    response = gateway.login(login_for(user, password=user["password"].upper()))

    assert response.status == 401


@pytest.mark.parametrize("account", ["nobody_here", "nobody@example.com"])
def test_login_with_unknown_account_returns_the_same_401(gateway, account):
    response = gateway.login({"username": account, "password": WRONG_PASSWORD})

    assert response.status == 401
    assert response.body == BAD_CREDENTIALS


def test_login_to_disabled_account_with_right_password_returns_403(gateway, register, put_attribute):
    user = register()
    put_attribute(keys.user(user["user_id"]), "status", 0)

    response = gateway.login(login_for(user))

    assert response.status == 403
    assert response.body == DISABLED


def test_login_to_disabled_account_with_wrong_password_returns_401(gateway, register, put_attribute):
    user = register()
    put_attribute(keys.user(user["user_id"]), "status", 0)

    response = gateway.login(login_for(user, password=WRONG_PASSWORD))

    assert response.status == 401
    assert response.body == BAD_CREDENTIALS


def test_login_to_disabled_account_starts_no_session(gateway, register, put_attribute, get_item):
    user = register()
    put_attribute(keys.user(user["user_id"]), "status", 0)

    gateway.login(login_for(user))

    assert "last_login_at" not in get_item(keys.user(user["user_id"]))


# ----------------------------------------------------------------------------- bad bodies


@pytest.mark.parametrize(
    ("raw_body", "message"),
    [
        ('{"username": ', "Malformed JSON in request body"),
        ("[]", "Request body must be a JSON object"),
        ('"alice"', "Request body must be a JSON object"),
        ("7", "Request body must be a JSON object"),
        (None, "Request body must be a JSON object"),
        ("{}", "username: is required"),
        ('{"password": "whatever1"}', "username: is required"),
        ('{"username": "alice"}', "password: is required"),
    ],
    ids=["malformed", "array", "string", "number", "absent", "empty-object", "no-username", "no-password"],
)
def test_login_with_bad_body_returns_400(gateway, raw_body, message):
    response = gateway.login(raw_body)

    assert response.status == 400
    assert response.body == {"code": 400, "message": message, "data": None}


def test_login_with_array_wrapping_valid_credentials_returns_400(gateway, register):
    user = register()

    response = gateway.login(json.dumps([login_for(user)]))

    assert response.status == 400, response
    assert response.body == {"code": 400, "message": "Request body must be a JSON object", "data": None}


@pytest.mark.parametrize("field", ["username", "password"])
@pytest.mark.parametrize("value", ["", "   ", 12345678, True, None, {"a": "b"}, ["alice"]], ids=repr)
def test_login_with_empty_or_non_string_field_returns_400_naming_it(gateway, field, value):
    body = {"username": "alice", "password": "whatever1", field: value}

    response = gateway.login(body)

    assert response.status == 400
    assert response.body["code"] == 400
    assert response.body["data"] is None
    assert response.body["message"].startswith(f"{field}: "), response.body["message"]


# ----------------------------------------------------------------------------- throttle


def test_login_after_max_failures_returns_429_even_with_the_right_password(gateway, register):
    user = register()

    statuses = fail_logins(gateway, user["username"], 5)
    response = gateway.login(login_for(user))

    assert statuses == [401] * 5
    assert response.status == 429
    assert response.body == LOCKED_OUT
    retry_after = int(response.headers["retry-after"])
    assert 0 < retry_after <= 900


def test_login_lockout_counts_the_account_case_insensitively(gateway, register):
    user = register()

    fail_logins(gateway, user["username"].upper(), 3)
    fail_logins(gateway, user["username"].lower(), 2)
    response = gateway.login(login_for(user))

    assert response.status == 429


def test_login_lockout_counts_failures_by_username_and_by_email_for_one_account(gateway, register):
    user = register()

    fail_logins(gateway, user["username"], 5)
    response = gateway.login(login_for(user, by="email"))

    assert response.status == 429, "failures by username must also lock the account's email login"


def test_login_lockout_does_not_lock_another_ip(gateway, register):
    user = register()
    fail_logins(gateway, user["username"], 5)

    response = gateway.login(login_for(user), source_ip=OTHER_IP)

    assert response.status == 200


def test_login_lockout_does_not_lock_another_account_from_the_same_ip(gateway, register):
    locked, other = register(), register()
    fail_logins(gateway, locked["username"], 5)

    response = gateway.login(login_for(other))

    assert response.status == 200


def test_login_success_resets_the_failure_counter(gateway, register):
    user = register()
    fail_logins(gateway, user["username"], 4)
    assert gateway.login(login_for(user)).status == 200

    statuses = fail_logins(gateway, user["username"], 4)
    response = gateway.login(login_for(user))

    assert statuses == [401] * 4
    assert response.status == 200


def test_login_throttles_unknown_accounts_too(gateway):
    statuses = fail_logins(gateway, "ghost_account", 6)

    assert statuses == [401] * 5 + [429]


def test_login_lockout_threshold_follows_the_setting(gateway, register, unit_env):
    unit_env(LOGIN_MAX_FAILURES="2")
    user = register()

    statuses = fail_logins(gateway, user["username"], 2)
    response = gateway.login(login_for(user))

    assert statuses == [401, 401]
    assert response.status == 429


def test_login_lockout_ends_after_the_lockout_window(gateway, register, monkeypatch):
    user = register()
    fail_logins(gateway, user["username"], 5)
    locked_at = clock.now_epoch()
    assert gateway.login(login_for(user)).status == 429

    monkeypatch.setattr(clock, "now_epoch", lambda: locked_at + 901)
    response = gateway.login(login_for(user))

    assert response.status == 200


def test_login_failures_after_the_window_start_a_new_count(gateway, register, monkeypatch):
    user = register()
    fail_logins(gateway, user["username"], 4)
    later = clock.now_epoch() + 901
    monkeypatch.setattr(clock, "now_epoch", lambda: later)

    statuses = fail_logins(gateway, user["username"], 4)
    response = gateway.login(login_for(user))

    assert statuses == [401] * 4
    assert response.status == 200


def test_login_locked_out_with_wrong_password_still_returns_429(gateway, register):
    user = register()
    fail_logins(gateway, user["username"], 5)

    response = gateway.login(login_for(user, password=WRONG_PASSWORD))

    assert response.status == 429
    assert "retry-after" in response.headers


# ----------------------------------------------------------------------------- races (issue 9, item 4)
# A burst is reproduced deterministically: while the first attempt's password is being checked,
# the others arrive (called from inside the check), as they would from parallel requests.


def attempt_login(username: str, password: str) -> str:
    """One login through the service; the outcome's name ("ok", "Unauthorized", "RateLimited")."""
    try:
        service.login(LoginRequest(username=username, password=password), DEFAULT_SOURCE_IP)
    except DomainError as error:
        return type(error).__name__
    return "ok"


@pytest.fixture
def burst_during_first_check(monkeypatch):
    """`burst_during_first_check(attempts)` -> (password checks made, outcomes of `attempts`): each
    attempt in `attempts` (a no-argument callable) runs while the first password check is in flight."""

    def arm(attempts: list) -> tuple[list, list]:
        checks, outcomes = [], []
        real_verify = passwords.verify_password

        def verify_with_a_burst_in_flight(password_hash, password):
            checks.append(password)
            if len(checks) == 1:
                outcomes.extend(attempt() for attempt in attempts)
            return real_verify(password_hash, password)

        monkeypatch.setattr(passwords, "verify_password", verify_with_a_burst_in_flight)
        return checks, outcomes

    return arm


def test_a_burst_of_wrong_passwords_gets_no_more_password_checks_than_the_limit(
    register, burst_during_first_check
):
    user = register()
    wrong = lambda: attempt_login(user["username"], WRONG_PASSWORD)  # noqa: E731
    checks, burst = burst_during_first_check([wrong] * 9)

    first = wrong()

    assert len(checks) == 5
    assert first == "Unauthorized"
    assert burst == ["Unauthorized"] * 4 + ["RateLimited"] * 5


def test_a_right_password_behind_a_burst_that_used_the_limit_is_refused(register, burst_during_first_check):
    user = register()
    wrong = lambda: attempt_login(user["username"], WRONG_PASSWORD)  # noqa: E731
    right = lambda: attempt_login(user["username"], user["password"])  # noqa: E731
    checks, burst = burst_during_first_check([wrong] * 4 + [right])

    wrong()

    assert burst == ["Unauthorized"] * 4 + ["RateLimited"]
    assert len(checks) == 5  # the right password was never checked


def test_a_success_clears_the_failures_before_it_but_not_those_still_in_flight(
    gateway, register, burst_during_first_check
):
    user = register()
    wrong = lambda: attempt_login(user["username"], WRONG_PASSWORD)  # noqa: E731
    _, burst = burst_during_first_check([wrong] * 3)

    assert attempt_login(user["username"], user["password"]) == "ok"

    assert burst == ["Unauthorized"] * 3
    assert fail_logins(gateway, user["username"], 3) == [401, 401, 429]  # 3 of the 5 are still used


def test_login_makes_at_most_5_dynamodb_calls_even_after_failures(gateway, register, dynamodb_calls):
    user = register()
    fail_logins(gateway, user["username"], 2)
    dynamodb_calls.clear()

    assert gateway.login(login_for(user)).status == 200

    assert len(dynamodb_calls) <= 5, dynamodb_calls


def test_a_wrong_password_makes_at_most_4_dynamodb_calls(gateway, register, dynamodb_calls):
    user = register()
    dynamodb_calls.clear()

    assert fail_logins(gateway, user["username"], 1) == [401]

    assert len(dynamodb_calls) <= 4, dynamodb_calls


def test_the_lockout_lasts_a_whole_period_from_the_failure_that_reached_the_limit(
    gateway, register, monkeypatch
):
    """The window starts at the first failure; reaching the limit late in it must not leave only
    the rest of the window (5 guesses at its end and 5 more at the next one's start)."""
    user = register()
    started = clock.now_epoch()
    fail_logins(gateway, user["username"], 4)
    monkeypatch.setattr(clock, "now_epoch", lambda: started + 899)
    assert fail_logins(gateway, user["username"], 1) == [401]

    monkeypatch.setattr(clock, "now_epoch", lambda: started + 901)
    locked = gateway.login(login_for(user))
    monkeypatch.setattr(clock, "now_epoch", lambda: started + 899 + 900)
    unlocked = gateway.login(login_for(user))

    assert locked.status == 429
    assert int(locked.headers["retry-after"]) == 898
    assert unlocked.status == 200
