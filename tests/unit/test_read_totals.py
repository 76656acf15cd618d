"""The reads whose parts live in different partitions, made at once (store.concurrent_reads): their
totals and pages as the contract has them. 5.1's total from the daily rollups beside its page, with
every filter; the budget with its limits from the authorizer, a live reservation shown and a dead
one released; the admin user list's totals with and without a search and a status."""

from datetime import datetime
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from bailian_chat import clock
from bailian_chat.store import budget_items, model_call_items
from bailian_chat.usage import budgets, money

from tests.support import payloads
from tests.support.admin_users import ids_and_total, users_page
from tests.support.payloads import registration

# ------------------------------------------------------------------ GET /api/history/api-calls


def log_call(user_id: int, day: str, hour: int, model: str, api_key_id: int | None = None) -> int:
    """A call logged on `day` at `hour` (UTC) with its rollups, as the call log writes it."""
    when = datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00")
    created_at = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    call = payloads.model_call(
        user_id, created_at, model=model, tokens=3, api_key_id=api_key_id, client_ip="203.0.113.9"
    )
    call |= {
        "client_disconnected": False,
        "cost": "0.000000001",
        "currency": "USD",
    }
    return model_call_items.record_call(call, int(when.timestamp() * 1000), day, 1)["id"]


@pytest.fixture
def history(signed_in) -> dict[str, int]:
    user = signed_in.user_id
    return {
        "plus-key-10": log_call(user, "2026-01-10", 9, "qwen-plus", api_key_id=7),
        "max-10": log_call(user, "2026-01-10", 8, "qwen-max"),
        "plus-key-11": log_call(user, "2026-01-11", 12, "qwen-plus", api_key_id=7),
        "plus-12": log_call(user, "2026-01-12", 12, "qwen-plus"),
    }


@pytest.mark.parametrize(
    ("filters", "shown", "total"),
    [
        ({}, ["plus-12", "plus-key-11", "plus-key-10", "max-10"], 4),
        ({"limit": 2, "page": 2}, ["plus-key-10", "max-10"], 4),
        ({"limit": 2, "page": 3}, [], 4),  # past the end: no page, the total still
        ({"start_date": "2026-01-11", "end_date": "2026-01-11"}, ["plus-key-11"], 1),
        ({"end_date": "2026-01-10"}, ["plus-key-10", "max-10"], 2),
        ({"model_name": "qwen-plus"}, ["plus-12", "plus-key-11", "plus-key-10"], 3),
        ({"api_key_id": 7}, ["plus-key-11", "plus-key-10"], 2),
        ({"api_key_id": 7, "model_name": "qwen-max"}, [], 0),
        ({"api_key_id": 7, "model_name": "qwen-plus", "start_date": "2026-01-11"}, ["plus-key-11"], 1),
        ({"api_key_id": 8}, [], 0),
    ],
)
def test_the_call_history_totals_and_pages_with_every_filter(
    gateway, signed_in, history, filters, shown, total
):
    query = urlencode({"start_date": "2026-01-01", "end_date": "2026-01-31", **filters})

    response = gateway.request("GET", f"/api/history/api-calls?{query}", token=signed_in.access_token)

    assert response.status == 200, response
    data = response.body["data"]
    assert [call["id"] for call in data["api_calls"]] == [history[name] for name in shown]
    assert data["pagination"]["total"] == total


# ------------------------------------------------------------------ GET /api/usage/budget

PAYLOAD = {"model": "qwen-plus", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 20_000}


def get_budget(gateway, token) -> dict:
    response = gateway.request("GET", "/api/usage/budget", token=token)
    assert response.status == 200, response
    return response.body["data"]


def test_the_budget_shows_a_live_reservation_and_releases_a_dead_one(
    gateway, signed_in, unit_env, monkeypatch
):
    unit_env(DAILY_SPEND_LIMIT="0.05")  # two worst cases (~0.024 each) fit
    user = signed_in.user_id
    dead = budgets.reserve(user, None, PAYLOAD, deadline_seconds=10)  # its function "dies"
    later = clock.now_epoch() + 10 + budgets.LEASE_MARGIN_SECONDS + 1
    monkeypatch.setattr(clock, "now_epoch", lambda: later)
    live = budgets.reserve(user, None, PAYLOAD, deadline_seconds=10)
    assert dead is not None and live is not None

    data = get_budget(gateway, signed_in.access_token)

    held = money.text(money.from_nanos(live.amount_nanos))
    assert data["today"]["reserved"] == held and data["this_month"]["reserved"] == held
    assert data["today"]["spent"] == "0.000000000" and data["today"]["limit"] == "0.050000000"
    assert [r["SK"] for r in budget_items.open_reservations(user)] == [live.reservation_id]


def test_the_budget_with_only_a_live_reservation_leaves_it_held(gateway, signed_in, unit_env):
    unit_env(DAILY_SPEND_LIMIT="0.05")
    live = budgets.reserve(signed_in.user_id, None, PAYLOAD, deadline_seconds=10)

    data = get_budget(gateway, signed_in.access_token)

    assert Decimal(data["today"]["reserved"]) == money.from_nanos(live.amount_nanos)
    assert [r["SK"] for r in budget_items.open_reservations(signed_in.user_id)] == [live.reservation_id]


def test_the_budget_shows_the_users_own_limits_under_the_admins_ceiling(gateway, signed_in, admin):
    token = signed_in.access_token
    put = gateway.request(
        "PUT", "/api/usage/budget", {"daily_limit": "3", "monthly_limit": "40"}, token=token
    )
    assert put.status == 200, put
    ceiling = {"daily_limit_ceiling": "2"}
    changed = gateway.request(
        "PUT", f"/api/admin/users/{signed_in.user_id}", ceiling, token=admin.access_token
    )
    assert changed.status == 200, changed

    data = get_budget(gateway, token)  # the same token: its next request reads them again

    assert (data["daily_limit"], data["monthly_limit"]) == ("3.000000000", "40.000000000")
    assert data["today"]["limit"] == "2.000000000"  # the admin's ceiling, lower than their own
    assert data["this_month"]["limit"] == "40.000000000"


# ------------------------------------------------------------------ GET /api/admin/users


def listed(gateway, admin, query: str) -> tuple[list[int], int]:
    return ids_and_total(users_page(gateway, admin.access_token, f"?{query}"))


def test_the_admin_user_list_totals_with_and_without_a_search_and_a_status(gateway, admin, register):
    first, second = register(prefix="tot"), register(prefix="tot")
    by_email = register(**{**registration(prefix="zz"), "email": "tot.mail@example.com"})
    other = register(prefix="else")
    changed = gateway.request(
        "PUT", f"/api/admin/users/{second['user_id']}", {"status": 0}, token=admin.access_token
    )
    assert changed.status == 200, changed
    ids = [u["user_id"] for u in (first, second, by_email, other)]

    assert listed(gateway, admin, "") == ([*reversed(ids), admin.user_id], 5)
    assert listed(gateway, admin, "status=0") == ([ids[1]], 1)
    assert listed(gateway, admin, "status=1&limit=2&page=2") == ([ids[0], admin.user_id], 4)
    assert listed(gateway, admin, "query=tot") == ([ids[2], ids[1], ids[0]], 3)
    assert listed(gateway, admin, "query=tot&status=1") == ([ids[2], ids[0]], 2)
    assert listed(gateway, admin, "query=tot.mail&limit=1") == ([ids[2]], 1)  # by email alone
    assert listed(gateway, admin, "query=tot&limit=1&page=3") == ([ids[0]], 3)
    assert listed(gateway, admin, "query=tot&page=2") == ([], 3)
    assert listed(gateway, admin, "query=nobody") == ([], 0)
