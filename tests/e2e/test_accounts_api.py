"""Issue 13 part 1 over HTTP against the local stack: the first admin made by the command, the
admin user routes, disabling a user with a request in flight, self-service password and sessions."""

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from local.template import REPO_ROOT
from tests.support import payloads

pytestmark = pytest.mark.needs_handlers


def register_and_login(api: httpx.Client, prefix: str = "acct", **headers) -> dict:
    body = payloads.registration(prefix)
    assert api.post("/api/auth/register", json=body).status_code == 200
    login = api.post("/api/auth/login", json=payloads.login_for(body), headers=headers)
    assert login.status_code == 200, login.text
    data = login.json()["data"]
    return {**body, "user_id": data["user"]["user_id"], "tokens": data, "auth": bearer(data["access_token"])}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_admin(stack, username: str) -> subprocess.CompletedProcess:
    """The documented command, against the stack's table (as against a deployed one)."""
    command = [sys.executable, "-m", "local.make_admin", username, "--table", stack.table_name]
    command += ["--region", "us-east-1", "--endpoint", stack.dynamodb_endpoint]
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def admin(stack) -> dict:
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        user = register_and_login(client, "admin")
    done = make_admin(stack, user["username"])
    assert done.returncode == 0, done.stderr
    assert f"user {user['user_id']}) is an admin" in done.stdout
    return user


def test_the_command_makes_an_admin_whose_token_reaches_the_admin_routes(api, admin):
    me = api.get("/api/auth/user", headers=admin["auth"]).json()["data"]
    listed = api.get("/api/admin/users", params={"query": admin["username"]}, headers=admin["auth"])

    assert me["role"] == "admin"
    assert listed.status_code == 200, listed.text
    assert [u["user_id"] for u in listed.json()["data"]["users"]] == [admin["user_id"]]


def test_the_command_refuses_an_unknown_user(stack):
    done = make_admin(stack, "no-such-user-anywhere")
    assert done.returncode == 1
    assert "No user named" in done.stderr


def test_a_user_is_403_on_admin_routes(api):
    user = register_and_login(api)
    for method, path in (
        ("GET", "/api/admin/users"),
        ("GET", "/api/admin/users/1"),
        ("PUT", "/api/admin/users/1"),
    ):
        response = api.request(method, path, json={"status": 0}, headers=user["auth"])
        assert response.status_code == 403, (method, path)
        assert response.json() == {"code": 403, "message": "Admin access required", "data": None}


def test_search_detail_and_ceilings(api, admin):
    user = register_and_login(api, "search")

    found = api.get("/api/admin/users", params={"query": user["email"][:12].upper()}, headers=admin["auth"])
    detail = api.get(f"/api/admin/users/{user['user_id']}", headers=admin["auth"])
    updated = api.put(
        f"/api/admin/users/{user['user_id']}", json={"monthly_limit_ceiling": "20.00"}, headers=admin["auth"]
    )

    assert user["user_id"] in {u["user_id"] for u in found.json()["data"]["users"]}
    assert detail.json()["data"]["usage_this_month"]["calls"] == 0
    assert updated.json()["data"]["monthly_limit_ceiling"] == "20.00"


def test_a_user_disabled_while_a_request_is_in_flight_is_refused_on_the_next(api, stack, admin):
    user = register_and_login(api, "inflight")
    body = {"model": "qwen-plus", "messages": [{"role": "user", "content": "#fault:timeout"}]}
    in_flight: dict = {}

    def slow_call():
        with httpx.Client(base_url=stack.base_url, timeout=60) as client:
            in_flight["response"] = client.post(
                "/api/bailian/chat/completions", json=body, headers=user["auth"]
            )

    caller = threading.Thread(target=slow_call)
    caller.start()
    time.sleep(1.0)  # arrangement only: let the call reach the fake model before the admin acts
    disabled = api.put(f"/api/admin/users/{user['user_id']}", json={"status": 0}, headers=admin["auth"])
    caller.join()

    assert disabled.status_code == 200, disabled.text
    assert "response" in in_flight  # it finished (how is the model path's business)
    assert api.get("/api/auth/user", headers=user["auth"]).status_code == 401
    assert (
        api.post("/api/auth/refresh", json={"refresh_token": user["tokens"]["refresh_token"]}).status_code
        == 401
    )
    login = api.post("/api/auth/login", json=payloads.login_for(user))
    assert login.status_code == 403
    assert login.json()["message"] == "User account has been disabled"


def test_a_user_disabled_while_their_stream_is_in_flight_is_refused_on_the_next(api, stack, admin):
    """The same with a streamed /v1 call, made with an API key of the user's: the stream under way
    ends as the model path decides; the key's next stream, and the session's next request, are 401."""
    user = register_and_login(api, "instream")
    created = api.post("/api/keys", json={"name": "script"}, headers=user["auth"])
    assert created.status_code == 200, created.text
    key = bearer(created.json()["data"]["key"])
    body = {
        "model": "qwen-plus",
        "stream": True,
        "messages": [{"role": "user", "content": "slow #fault:slow:200"}],
    }
    with httpx.Client(base_url=stack.base_url, timeout=60) as client:
        with client.stream("POST", "/v1/chat/completions", json=body, headers=key) as stream:
            assert stream.status_code == 200
            lines = stream.iter_lines()
            assert next(line for line in lines if line.startswith("data: "))  # under way
            disabled = api.put(
                f"/api/admin/users/{user['user_id']}", json={"status": 0}, headers=admin["auth"]
            )
            assert disabled.status_code == 200, disabled.text
            for _line in lines:  # it finishes (how is the model path's business)
                pass

        again = client.post("/v1/chat/completions", json=body, headers=key)
    assert again.status_code == 401
    assert again.json()["error"]["type"]  # OpenAI's error shape under /v1
    assert api.get("/api/auth/user", headers=user["auth"]).status_code == 401


def test_admins_cannot_remove_themselves_nor_the_last_admin(api, stack, admin):
    assert (
        api.put(
            f"/api/admin/users/{admin['user_id']}", json={"role": "user"}, headers=admin["auth"]
        ).status_code
        == 409
    )
    second = register_and_login(api, "admin")
    assert make_admin(stack, second["username"]).returncode == 0

    # Each demotes the other at the same moment: at most one can succeed, an admin always remains.
    def demote(actor, target):
        with httpx.Client(base_url=stack.base_url, timeout=30) as client:
            return client.put(
                f"/api/admin/users/{target['user_id']}", json={"role": "user"}, headers=actor["auth"]
            )

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(demote, (admin, second), (second, admin)))

    codes = sorted(answer.status_code for answer in answers)
    assert codes.count(200) <= 1, [a.text for a in answers]
    assert set(codes) <= {200, 403, 409}
    roles = [api.get("/api/auth/user", headers=u["auth"]).json()["data"]["role"] for u in (admin, second)]
    assert "admin" in roles
    # Restore the module's admin for the other tests (whoever is still admin promotes it back).
    remaining = admin if roles[0] == "admin" else second
    api.put(f"/api/admin/users/{admin['user_id']}", json={"role": "admin"}, headers=remaining["auth"])


def test_profile_update_over_http(api):
    user = register_and_login(api)

    response = api.put(
        "/api/auth/user",
        json={"nickname": "Trinity", "avatar_url": "http://x.example/t.png"},
        headers=user["auth"],
    )

    assert response.status_code == 200, response.text
    assert response.json()["data"]["nickname"] == "Trinity"
    assert (
        api.get("/api/auth/user", headers=user["auth"]).json()["data"]["avatar_url"]
        == "http://x.example/t.png"
    )


def test_password_change_revokes_other_sessions_and_sessions_can_be_listed_and_ended(api):
    user = register_and_login(api, "pw", **{"User-Agent": "laptop-browser"})
    phone = api.post(
        "/api/auth/login", json=payloads.login_for(user), headers={"User-Agent": "phone-app"}
    ).json()["data"]
    tablet = api.post("/api/auth/login", json=payloads.login_for(user)).json()["data"]

    sessions = api.get("/api/auth/sessions", headers=user["auth"]).json()["data"]["sessions"]
    assert {s["user_agent"] for s in sessions} >= {"laptop-browser", "phone-app"}
    assert sum(s["current"] for s in sessions) == 1 and len(sessions) == 3
    tablet_id = next(
        s["session_id"] for s in sessions if s["user_agent"] not in ("laptop-browser", "phone-app")
    )
    assert api.delete(f"/api/auth/sessions/{tablet_id}", headers=user["auth"]).status_code == 200
    assert api.get("/api/auth/user", headers=bearer(tablet["access_token"])).status_code == 401

    changed = api.put(
        "/api/auth/password",
        json={"current_password": user["password"], "new_password": "the new passphrase"},
        headers=user["auth"],
    )

    assert changed.status_code == 200, changed.text
    assert api.get("/api/auth/user", headers=bearer(phone["access_token"])).status_code == 401
    fresh = changed.json()["data"]
    left = api.get("/api/auth/sessions", headers=bearer(fresh["access_token"])).json()["data"]["sessions"]
    assert [s["user_agent"] for s in left] == ["laptop-browser"]
    relogin = api.post(
        "/api/auth/login", json={"username": user["username"], "password": "the new passphrase"}
    )
    assert relogin.status_code == 200
