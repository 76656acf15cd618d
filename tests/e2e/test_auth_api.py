"""The authentication API (spec §1) over HTTP against the local stack: the whole session story,
refresh-token reuse, the login lockout, the gateway's 401s and registration races. Validation and
conflicts are the unit suites' (test_auth_register/login/refresh), through the same handlers.

The stack is shared by the session: every test uses its own usernames and emails."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support.gateway_answers import NOT_AUTHENTICATED
from tests.support.payloads import login_for, registration, unique_suffix
from tests.support.user_shape import LOGIN_USER_FIELDS

pytestmark = pytest.mark.needs_handlers

BAD_REFRESH = {"code": 401, "message": "Refresh token is invalid or expired", "data": None}
RACERS = 50


def register(api: httpx.Client, **overrides) -> dict:
    body = registration(**overrides)
    response = api.post("/api/auth/register", json=body)
    assert response.status_code == 200, response.text
    return body


def login(api: httpx.Client, body: dict) -> dict:
    response = api.post("/api/auth/login", json=login_for(body))
    assert response.status_code == 200, response.text
    return response.json()["data"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def mixed_case(text: str, variant: int) -> str:
    """`text` with the case of its letters flipped by the bits of `variant`."""
    letters = iter(range(len(text)))
    return "".join(
        char.upper() if char.isalpha() and (variant >> (next(letters) % 16)) & 1 else char for char in text
    )


def race(stack, bodies: list[dict], path: str = "/api/auth/register") -> list[httpx.Response]:
    """POSTs every body to `path` at once (threads released together by a barrier)."""
    start = threading.Barrier(len(bodies))
    limits = httpx.Limits(max_connections=len(bodies), max_keepalive_connections=len(bodies))
    with httpx.Client(base_url=stack.base_url, timeout=120, limits=limits) as client:

        def send(body: dict) -> httpx.Response:
            start.wait()
            return client.post(path, json=body)

        with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
            return list(pool.map(send, bodies))


# ----------------------------------------------------------------------------- the story


def test_register_login_read_refresh_logout_then_the_token_is_rejected(api):
    body = registration(prefix="story", nickname="Story")

    registered = api.post("/api/auth/register", json=body)
    assert registered.status_code == 200
    assert registered.headers["content-type"] == "application/json; charset=utf-8"
    user = registered.json()["data"]
    assert registered.json()["message"] == "Registration successful"
    assert user["username"] == body["username"]
    assert "password" not in registered.text

    logged_in = api.post("/api/auth/login", json=login_for(body))
    assert logged_in.status_code == 200
    tokens = logged_in.json()["data"]
    assert tokens["expires_in"] == 3600
    assert tokens["user"] == {key: user[key] for key in tokens["user"]}
    assert set(tokens["user"]) == LOGIN_USER_FIELDS
    assert tokens["user"]["role"] == "user"

    me = api.get("/api/auth/user", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200
    assert me.json()["message"] == "Retrieval successful"
    assert me.json()["data"]["user_id"] == user["user_id"]
    assert me.json()["data"]["created_at"] == user["created_at"]
    assert me.json()["data"]["last_login_at"] is not None

    refreshed = api.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    assert refreshed.json()["message"] == "Token refresh successful"
    new_tokens = refreshed.json()["data"]
    assert set(new_tokens) == {"access_token", "expires_in", "refresh_token"}
    assert api.get("/api/auth/user", headers=bearer(new_tokens["access_token"])).status_code == 200

    logged_out = api.post("/api/auth/logout", headers=bearer(new_tokens["access_token"]))
    assert logged_out.status_code == 200
    assert logged_out.json() == {"code": 200, "message": "Logout successful", "data": None}

    after = api.get("/api/auth/user", headers=bearer(new_tokens["access_token"]))
    assert after.status_code == 401
    assert after.json() == NOT_AUTHENTICATED
    assert api.get("/api/auth/user", headers=bearer(tokens["access_token"])).status_code == 401
    assert (
        api.post("/api/auth/refresh", json={"refresh_token": new_tokens["refresh_token"]}).json()
        == BAD_REFRESH
    )


def test_refresh_token_reuse_over_http_revokes_the_session(api):
    """An already-rotated token other than the one just rotated (that one has a 10-second grace
    period, issue 9) is theft: the whole session is revoked."""
    tokens = login(api, register(api, prefix="reuse"))
    second = api.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).json()["data"]
    rotated = api.post("/api/auth/refresh", json={"refresh_token": second["refresh_token"]}).json()["data"]

    reuse = api.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})

    assert reuse.status_code == 401
    assert reuse.json() == BAD_REFRESH
    assert api.post("/api/auth/refresh", json={"refresh_token": rotated["refresh_token"]}).status_code == 401
    assert api.get("/api/auth/user", headers=bearer(rotated["access_token"])).json() == NOT_AUTHENTICATED


def test_parallel_refreshes_with_one_token_over_http_all_succeed_with_one_rotation(stack, api):
    """Two tabs, or a client retrying after a timeout (issue 9): not a theft, the session lives on."""
    tokens = login(api, register(api, prefix="tabs"))

    responses = race(stack, [{"refresh_token": tokens["refresh_token"]}] * 8, path="/api/auth/refresh")

    assert [response.status_code for response in responses] == [200] * 8, [r.text for r in responses]
    pairs = [response.json()["data"] for response in responses]
    assert len({pair["refresh_token"] for pair in pairs}) == 1
    assert all(
        api.get("/api/auth/user", headers=bearer(pair["access_token"])).status_code == 200 for pair in pairs
    )
    assert api.post("/api/auth/refresh", json={"refresh_token": pairs[0]["refresh_token"]}).status_code == 200


def test_parallel_wrong_passwords_over_http_get_exactly_the_limit_of_guesses(stack, api):
    """30 guesses at once (issue 9): 5 are checked, 25 refused, and then the right password too."""
    body = register(api, prefix="burst")
    wrong = {"username": body["username"], "password": "not the password"}

    responses = race(stack, [wrong] * 30, path="/api/auth/login")

    assert Counter(response.status_code for response in responses) == Counter({401: 5, 429: 25})
    assert api.post("/api/auth/login", json=login_for(body)).status_code == 429


def test_login_lockout_over_http_answers_429_with_retry_after(api):
    body = register(api, prefix="lockout")
    wrong = {"username": body["username"], "password": "not the password"}

    failures = [api.post("/api/auth/login", json=wrong) for _ in range(5)]
    locked = api.post("/api/auth/login", json=login_for(body))

    assert [response.status_code for response in failures] == [401] * 5
    assert failures[0].json() == {"code": 401, "message": "Username or password incorrect", "data": None}
    assert locked.status_code == 429
    assert locked.json() == {
        "code": 429,
        "message": "Too many failed login attempts, try again later",
        "data": None,
    }
    assert 0 < int(locked.headers["retry-after"]) <= 900


def test_login_lockout_over_http_is_per_account(api):
    locked, other = register(api, prefix="locked"), register(api, prefix="unlocked")
    for _ in range(5):
        api.post("/api/auth/login", json={"username": locked["username"], "password": "not the password"})

    response = api.post("/api/auth/login", json=login_for(other))

    assert response.status_code == 200


# ----------------------------------------------------------------------------- the gateway's 401


@pytest.mark.parametrize(("method", "path"), [("GET", "/api/auth/user"), ("POST", "/api/auth/logout")])
@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer garbage", "Basic dXNlcjpwYXNz", "Bearer a.b.c"],
    ids=["missing", "empty", "scheme-only", "garbage", "basic", "three-parts"],
)
def test_protected_route_without_a_valid_token_answers_the_401_envelope(api, method, path, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}

    response = api.request(method, path, headers=headers)

    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED


def test_protected_route_with_a_refresh_token_answers_401(api):
    tokens = login(api, register(api, prefix="wrongtyp"))

    response = api.get("/api/auth/user", headers=bearer(tokens["refresh_token"]))

    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED


# ----------------------------------------------------------------------------- races


def test_concurrent_registrations_of_one_username_admit_exactly_one(stack, api):
    username = f"race_{unique_suffix()}"
    bodies = [
        registration(
            username=mixed_case(username, variant), email=f"race{variant}.{unique_suffix()}@example.com"
        )
        for variant in range(RACERS)
    ]

    responses = race(stack, bodies)

    statuses = Counter(response.status_code for response in responses)
    assert statuses == Counter({200: 1, 409: RACERS - 1}), [r.text for r in responses if r.status_code != 409]
    conflicts = [response.json() for response in responses if response.status_code == 409]
    assert all(
        body == {"code": 409, "message": "Username already exists", "data": None} for body in conflicts
    )
    (winner,) = [bodies[i] for i, response in enumerate(responses) if response.status_code == 200]
    assert api.post("/api/auth/login", json=login_for(winner, by="email")).status_code == 200
    losers = [bodies[i] for i, response in enumerate(responses) if response.status_code == 409]
    assert api.post("/api/auth/login", json=login_for(losers[0], by="email")).status_code == 401


def test_concurrent_registrations_of_one_email_admit_exactly_one(stack, api):
    email = f"race.{unique_suffix()}@example.com"
    bodies = [
        registration(prefix=f"mail{variant}", email=mixed_case(email, variant)) for variant in range(RACERS)
    ]

    responses = race(stack, bodies)

    statuses = Counter(response.status_code for response in responses)
    assert statuses == Counter({200: 1, 409: RACERS - 1}), [r.text for r in responses if r.status_code != 409]
    conflicts = [response.json() for response in responses if response.status_code == 409]
    assert all(body == {"code": 409, "message": "Email already exists", "data": None} for body in conflicts)
    (winner,) = [bodies[i] for i, response in enumerate(responses) if response.status_code == 200]
    assert api.post("/api/auth/login", json=login_for(winner)).status_code == 200
    losers = [bodies[i] for i, response in enumerate(responses) if response.status_code == 409]
    assert api.post("/api/auth/login", json=login_for(losers[0])).status_code == 401
