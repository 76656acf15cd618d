"""The admin user routes (issue 13 sections 1 and 2): GET /api/admin/users,
GET/PUT /api/admin/users/{user_id}, the active-admin count and the first admin."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from bailian_chat.auth import admin_users
from bailian_chat.errors import NotFound
from bailian_chat.store import account_items, dynamodb, keys, rollup_items, user_items

from tests.support.payloads import login_for, registration

ADMIN_ONLY = {"code": 403, "message": "Admin access required", "data": None}


def get_users(gateway, token, query=""):
    return gateway.request("GET", f"/api/admin/users{query}", token=token)


def put_user(gateway, token, user_id, body):
    return gateway.request("PUT", f"/api/admin/users/{user_id}", body, token=token)


def assert_400(response, message_start):
    assert response.status == 400, response
    assert response.body["message"].startswith(message_start), response.body["message"]


# ------------------------------------------------------------------ who may call


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/admin/users", None),
        ("GET", "/api/admin/users/1", None),
        ("PUT", "/api/admin/users/1", {"status": 0}),
    ],
)
def test_admin_routes_are_403_for_users_and_401_without_a_token(gateway, signed_in, method, path, body):
    assert gateway.request(method, path, body, token=signed_in.access_token).body == ADMIN_ONLY
    assert gateway.request(method, path, body).status == 401


def test_a_role_change_takes_effect_on_the_next_request(gateway, admin, signed_in):
    assert get_users(gateway, signed_in.access_token).status == 403

    assert put_user(gateway, admin.access_token, signed_in.user_id, {"role": "admin"}).status == 200
    assert get_users(gateway, signed_in.access_token).status == 200  # the same token

    assert put_user(gateway, admin.access_token, signed_in.user_id, {"role": "user"}).status == 200
    assert get_users(gateway, signed_in.access_token).status == 403


def admin_key(gateway, admin) -> str:
    response = gateway.request("POST", "/api/keys", {"name": "admin's notebook"}, token=admin.access_token)
    assert response.status == 200, response
    return response.body["data"]["key"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/admin/users", None),
        ("GET", "/api/admin/users/1", None),
        ("PUT", "/api/admin/users/1", {"status": 0}),
    ],
)
def test_an_admins_api_key_never_reaches_admin_routes(gateway, admin, method, path, body):
    key = admin_key(gateway, admin)

    assert gateway.request(method, path, body, token=key).status == 403


def test_the_function_refuses_an_api_key_even_past_the_authorizer(admin, load_function):
    from tests.support.events import LambdaContext, api_event

    context = {"user_id": str(admin.user_id), "role": "admin", "auth_type": "api_key", "api_key_id": "1"}
    event = api_event("GET", "/api/admin/users", None, {}, context, "198.51.100.7")
    result = load_function("admin_users_list").handler(event, LambdaContext(function_name="admin_users_list"))

    assert result["statusCode"] == 403


def test_disabling_a_user_refuses_their_api_keys_on_the_next_request(gateway, admin, signed_in):
    created = gateway.request("POST", "/api/keys", {"name": "k"}, token=signed_in.access_token)
    key = created.body["data"]["key"]
    assert gateway.request("GET", "/api/history/api-calls", token=key).status == 200

    assert put_user(gateway, admin.access_token, signed_in.user_id, {"status": 0}).status == 200

    assert gateway.request("GET", "/api/history/api-calls", token=key).status == 401


# ------------------------------------------------------------------ GET /api/admin/users


def test_list_users_pages_newest_first_with_role_and_last_login(gateway, admin, register):
    others = [register(prefix="listed") for _ in range(3)]

    response = get_users(gateway, admin.access_token, "?page=1&limit=2")

    assert response.status == 200, response
    assert response.body["message"] == "Retrieval successful"
    data = response.body["data"]
    assert [u["user_id"] for u in data["users"]] == [others[2]["user_id"], others[1]["user_id"]]
    assert data["pagination"] == {"current_page": 1, "per_page": 2, "total": 4, "total_pages": 2}
    assert set(data["users"][0]) == {
        "user_id", "username", "email", "nickname", "avatar_url", "phone", "status", "role",
        "created_at", "last_login_at",
    }  # fmt: skip
    last = get_users(gateway, admin.access_token, "?page=2&limit=2").body["data"]["users"]
    assert [u["user_id"] for u in last] == [others[0]["user_id"], admin.user_id]
    assert last[1]["role"] == "admin" and last[1]["last_login_at"] is not None
    assert last[0]["last_login_at"] is None


def test_list_users_query_is_a_case_insensitive_prefix_of_username_or_email(gateway, admin, register):
    by_name = register(**registration(prefix="zed"))
    by_email = register(**{**registration(prefix="other"), "email": "zed.mail@example.com"})
    register(prefix="nobody")

    for query in ("zed", "ZED", "Zed"):
        found = get_users(gateway, admin.access_token, f"?query={query}").body["data"]
        assert {u["user_id"] for u in found["users"]} == {by_name["user_id"], by_email["user_id"]}
        assert found["pagination"]["total"] == 2
    exact = get_users(gateway, admin.access_token, "?query=zed.mail@").body["data"]["users"]
    assert [u["user_id"] for u in exact] == [by_email["user_id"]]
    assert get_users(gateway, admin.access_token, "?query=%C3%A9").body["data"]["users"] == []


def test_a_user_matching_by_username_and_email_is_listed_once(gateway, admin, register):
    both = register(**{**registration(prefix="dup"), "email": "dup.same@example.com"})

    found = get_users(gateway, admin.access_token, "?query=dup").body["data"]

    assert [u["user_id"] for u in found["users"]] == [both["user_id"]]
    assert found["pagination"]["total"] == 1


def test_list_users_filters_by_status(gateway, admin, register):
    disabled = register(prefix="off")
    put_user(gateway, admin.access_token, disabled["user_id"], {"status": 0})

    off = get_users(gateway, admin.access_token, "?status=0").body["data"]
    on = get_users(gateway, admin.access_token, "?status=1").body["data"]
    off_by_prefix = get_users(gateway, admin.access_token, "?status=0&query=off").body["data"]

    assert [u["user_id"] for u in off["users"]] == [disabled["user_id"]]
    assert disabled["user_id"] not in {u["user_id"] for u in on["users"]}
    assert [u["user_id"] for u in off_by_prefix["users"]] == [disabled["user_id"]]


@pytest.mark.parametrize(
    ("query", "field"),
    [("?status=2", "status"), ("?status=x", "status"), ("?page=0", "page"), ("?limit=101", "limit"),
     ("?query=", "query"), ("?query=%20", "query"), ("?query=a%00b", "query")],
)  # fmt: skip
def test_list_users_refuses_bad_parameters(gateway, admin, query, field):
    assert_400(get_users(gateway, admin.access_token, query), f"{field}:")


def test_listing_reads_the_directory_index_never_a_scan(gateway, admin, dynamodb_calls):
    get_users(gateway, admin.access_token, "?query=adm")

    assert "Scan" not in dynamodb_calls


# ------------------------------------------------------------------ GET /api/admin/users/{user_id}


def test_user_detail_has_role_last_login_ceilings_and_this_months_usage(gateway, admin, signed_in):
    now = datetime.now(UTC)
    today, last_month = (
        now.strftime("%Y-%m-%d"),
        (now.replace(day=1) - timedelta(days=1)).strftime("%Y-%m-%d"),
    )
    dynamodb.transact_write(
        [
            rollup_items.add_action(
                signed_in.user_id, today, "qwen-plus", tokens=21, calls=1, cost_nanos=1_500_000
            ),
            rollup_items.add_action(
                signed_in.user_id, today, "qwen-max", tokens=9, calls=2, cost_nanos=250_000
            ),
            rollup_items.add_action(signed_in.user_id, last_month, "qwen-plus", tokens=1000, calls=50),
        ]
    )

    response = gateway.request("GET", f"/api/admin/users/{signed_in.user_id}", token=admin.access_token)

    assert response.status == 200, response
    data = response.body["data"]
    assert data["user_id"] == signed_in.user_id
    assert data["role"] == "user" and data["last_login_at"] is not None
    assert data["daily_limit_ceiling"] is None and data["monthly_limit_ceiling"] is None
    usage = data["usage_this_month"]
    assert {k: usage[k] for k in ("month", "calls", "tokens")} == {
        "month": now.strftime("%Y-%m"),
        "calls": 3,
        "tokens": 30,
    }
    assert Decimal(usage["cost"]) == Decimal("0.00175") and usage["currency"]
    assert "password_hash" not in data


def test_user_detail_of_no_user_is_404_and_a_bad_id_400(gateway, admin):
    missing = gateway.request("GET", "/api/admin/users/999999", token=admin.access_token)
    assert missing.status == 404 and missing.body["message"] == "User does not exist"
    assert_400(gateway.request("GET", "/api/admin/users/0x1", token=admin.access_token), "user_id:")


# ------------------------------------------------------------------ PUT /api/admin/users/{user_id}


def test_disabling_refuses_the_users_sessions_at_once_and_login_with_the_specs_403(gateway, admin, signed_in):
    response = put_user(gateway, admin.access_token, signed_in.user_id, {"status": 0})

    assert response.status == 200, response
    assert response.body["message"] == "Update successful"
    assert response.body["data"]["status"] == 0
    assert gateway.current_user(signed_in.access_token).status == 401
    assert gateway.refresh({"refresh_token": signed_in.refresh_token}).status == 401
    login = gateway.login(login_for(signed_in.registration))
    assert login.status == 403
    assert login.body == {"code": 403, "message": "User account has been disabled", "data": None}

    assert put_user(gateway, admin.access_token, signed_in.user_id, {"status": 1}).status == 200
    assert gateway.login(login_for(signed_in.registration)).status == 200


def test_ceilings_are_stored_as_decimal_strings_and_null_removes_them(gateway, admin, signed_in, get_item):
    body = {"daily_limit_ceiling": "5", "monthly_limit_ceiling": "50.50"}

    data = put_user(gateway, admin.access_token, signed_in.user_id, body).body["data"]

    assert (data["daily_limit_ceiling"], data["monthly_limit_ceiling"]) == ("5", "50.50")
    assert get_item(keys.user(signed_in.user_id))["monthly_limit_ceiling"] == "50.50"
    cleared = put_user(gateway, admin.access_token, signed_in.user_id, {"daily_limit_ceiling": None})
    assert cleared.body["data"]["daily_limit_ceiling"] is None
    assert cleared.body["data"]["monthly_limit_ceiling"] == "50.50"
    assert "daily_limit_ceiling" not in get_item(keys.user(signed_in.user_id))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Request body must set at least one of"),
        ({"status": 2}, "status:"),
        ({"status": "0"}, "status:"),
        ({"status": None}, "status:"),
        ({"role": "root"}, "role:"),
        ({"role": None}, "role:"),
        ({"daily_limit_ceiling": 5}, "daily_limit_ceiling:"),
        ({"monthly_limit_ceiling": "-1"}, "monthly_limit_ceiling:"),
        ({"monthly_limit_ceiling": "1e3"}, "monthly_limit_ceiling:"),
        ({"monthly_limit_ceiling": "1.1234567"}, "monthly_limit_ceiling:"),
    ],
)
def test_update_refuses_bad_bodies(gateway, admin, signed_in, body, message):
    assert_400(put_user(gateway, admin.access_token, signed_in.user_id, body), message)


def test_update_of_no_user_is_404(gateway, admin):
    response = put_user(gateway, admin.access_token, 999999, {"status": 0})
    assert response.status == 404 and response.body["message"] == "User does not exist"


@pytest.mark.parametrize("body", [{"status": 0}, {"role": "user"}, {"status": 0, "role": "admin"}])
def test_an_admin_cannot_disable_or_demote_themselves(gateway, admin, body):
    response = put_user(gateway, admin.access_token, admin.user_id, body)

    assert response.status == 409, response
    assert response.body["message"] == "You cannot disable or demote yourself"
    assert get_users(gateway, admin.access_token).status == 200


def test_the_last_active_admin_cannot_be_removed_even_by_a_racing_admin(admin, register):
    # Two admins demote each other at once: both pass the self check; the count lets one through.
    other = register(prefix="admin")
    admin_users.make_admin(other["username"])
    assert account_items.active_admin_count() == 2
    first, second = user_items.get_user(admin.user_id), user_items.get_user(other["user_id"])

    account_items.change_account(first, {"role": "user"})
    with pytest.raises(account_items.LastAdmin):
        account_items.change_account(second, {"status": 0})

    assert account_items.active_admin_count() == 1
    assert user_items.get_user(other["user_id"])["status"] == 1


def test_demoting_the_last_admin_through_the_api_is_409(gateway, admin, register):
    # The count says 1 while a second admin exists only by an edit of the table by hand.
    other = register(prefix="admin")
    user_items.update_profile(other["user_id"], {"role": "admin"})

    response = put_user(gateway, admin.access_token, other["user_id"], {"role": "user"})

    assert response.status == 409, response
    assert response.body["message"].startswith("Cannot remove the last active admin")


def test_a_change_computed_from_a_stale_read_is_refused(admin, signed_in):
    stale = user_items.get_user(signed_in.user_id)
    account_items.change_account(user_items.get_user(signed_in.user_id), {"role": "admin"})

    with pytest.raises(account_items.ChangedMeanwhile):
        account_items.change_account(stale, {"status": 0})
    assert account_items.active_admin_count() == 2


def test_the_admin_count_follows_roles_and_statuses(gateway, admin, signed_in):
    put_user(gateway, admin.access_token, signed_in.user_id, {"role": "admin"})
    assert account_items.active_admin_count() == 2
    put_user(gateway, admin.access_token, signed_in.user_id, {"status": 0})
    assert account_items.active_admin_count() == 1
    put_user(gateway, admin.access_token, signed_in.user_id, {"role": "user", "status": 1})
    assert account_items.active_admin_count() == 1


# ------------------------------------------------------------------ the first admin


def test_make_admin_promotes_by_username_once_and_reenables(register, put_attribute, gateway):
    user = register()
    put_attribute(keys.user(user["user_id"]), "status", 0)

    shown = admin_users.make_admin(user["username"].upper())
    again = admin_users.make_admin(user["email"])

    assert shown["role"] == again["role"] == "admin"
    assert shown["status"] == 1
    assert account_items.active_admin_count() == 1
    with pytest.raises(NotFound):
        admin_users.make_admin("nobody-at-all")


def test_backfill_gives_older_users_and_sessions_what_the_account_routes_read(gateway, admin, sign_in, ddb):
    from bailian_chat.store.account_backfill import backfill

    older = sign_in()
    table = user_items.get_user(older.user_id)  # strip what issue 13 writes, as for a user stored before it
    item_key = {"PK": {"S": f"USER#{older.user_id}"}, "SK": {"S": "PROFILE"}}
    ddb.update_item(TableName=dynamodb.table_name(), Key=item_key, UpdateExpression="REMOVE GSI1PK, GSI1SK")
    email_key = {"PK": {"S": f"EMAIL#{table['email']}"}, "SK": {"S": "UNIQUE"}}
    ddb.update_item(TableName=dynamodb.table_name(), Key=email_key, UpdateExpression="REMOVE GSI1PK, GSI1SK")
    pointer_key = {"PK": {"S": f"USER#{older.user_id}"}, "SK": {"S": f"SESSION#{older.session_id}"}}
    ddb.delete_item(TableName=dynamodb.table_name(), Key=pointer_key)
    ddb.delete_item(
        TableName=dynamodb.table_name(), Key={"PK": {"S": "COUNTER"}, "SK": {"S": "active-admins"}}
    )
    assert (
        get_users(gateway, admin.access_token, f"?query={older.registration['username']}").body["data"][
            "users"
        ]
        == []
    )

    done = backfill()

    assert done["users"] == 1 and done["emails"] == 1 and done["session_pointers"] == 1
    assert done["active_admins"] == 1 and account_items.active_admin_count() == 1
    found = get_users(gateway, admin.access_token, f"?query={older.registration['email']}").body["data"][
        "users"
    ]
    assert [u["user_id"] for u in found] == [older.user_id]
    sessions = gateway.request("GET", "/api/auth/sessions", token=older.access_token).body["data"]["sessions"]
    assert [s["session_id"] for s in sessions] == [older.session_id]
    assert backfill() == {"users": 0, "emails": 0, "session_pointers": 0, "listed": 0, "active_admins": 1}
