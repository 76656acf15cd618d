"""The admin user list against DynamoDB Local (issue 15 item 2): registrations at once all counted
(one count item, changed in each registration's transaction), and the list's pages, with and
without the status filter, exact on the real engine."""

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from bailian_chat.auth import admin_users, service
from bailian_chat.auth.models import RegisterRequest
from bailian_chat.paging import PageRequest
from bailian_chat.store import account_items, dynamodb, keys, user_items

from local.dynamodb_local import NEW_TABLE_USER_COUNTS, client
from local.template import REPO_ROOT

pytestmark = pytest.mark.usefixtures("services")
AT_ONCE = 8


def counts() -> dict:
    item = dynamodb.get_item(*keys.user_counts(), consistent=True) or {}
    return {name: int(item.get(name, 0)) for name in ("total", "status_1", "status_0")}


def listing(status: int | None, limit: int) -> tuple[list[dict], int]:
    """Every user the list shows, page after page, and the total the first page gave."""
    users, page, total = [], 1, None
    while True:
        data = admin_users.list_users(None, status, PageRequest(page=page, limit=limit))
        total = data["pagination"]["total"] if total is None else total
        if not data["users"]:
            return users, total
        users += data["users"]
        page += 1


def test_registrations_at_once_are_all_counted_and_the_pages_are_exact(unique):
    before = counts()
    start = threading.Barrier(AT_ONCE)

    def register(number: int) -> int:
        name = f"list{unique}{number}"
        start.wait()
        return service.register(
            RegisterRequest(username=name, email=f"{name}@example.com", password="pw-123456")
        )["user_id"]

    with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        new = list(pool.map(register, range(AT_ONCE)))
    for user_id in new[::2]:
        account_items.change_account(user_items.get_user(user_id), {"status": 0})

    after = counts()
    disabled = len(new[::2])
    assert after == {
        "total": before["total"] + AT_ONCE,
        "status_1": before["status_1"] + AT_ONCE - disabled,
        "status_0": before["status_0"] + disabled,
    }
    everyone, total = listing(None, 3)
    assert total == after["total"] == len(everyone)
    ids = [user["user_id"] for user in everyone]
    assert ids == sorted(ids, reverse=True) and set(new) <= set(ids)
    for status in (0, 1):
        shown, total = listing(status, 2)
        assert [user["user_id"] for user in shown] == [
            u["user_id"] for u in everyone if u["status"] == status
        ]
        assert total == after[f"status_{status}"] == len(shown)


def test_the_local_tools_create_a_table_without_the_layer_on_their_path(dynamodb_local, unique):
    """`make dev` and `make sam-local` create the table from the repository's root, where
    bailian_chat is not importable: the new table still starts with its user counts."""
    table = f"fresh-{unique}"
    create = f"import local.dynamodb_local as d; d.ensure_table({dynamodb_local!r}, {table!r})"
    created = subprocess.run(
        [sys.executable, "-c", create],
        cwd=REPO_ROOT,  # as `python -m local.dev` runs: the repository's root first on sys.path
        env={"PATH": os.environ.get("PATH", ""), "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"},
        capture_output=True,
        text=True,
    )
    assert created.returncode == 0, created.stderr[-2000:]
    item = client(dynamodb_local).get_item(TableName=table, Key=dynamodb.key(*keys.user_counts()))
    assert item["Item"] == NEW_TABLE_USER_COUNTS
