"""The admin user list without a search (issue 15 item 2): users indexed by id on GSI2 under a
count item, one Query a page; the counts moved exactly by registration, status changes and the
account purge; a table from before it read from the directory until the backfill indexes it."""

import pytest
from bailian_chat.auth import account_purging
from bailian_chat.store import account_backfill, account_items, dynamodb, keys, user_items, user_list_items

from tests.support.admin_users import ids_and_total, set_status, users_page


def counts() -> dict:
    item = dynamodb.get_item(*keys.user_counts(), consistent=True) or {}
    return {name: int(value) for name, value in item.items() if name == "total" or name.startswith("status_")}


def make_legacy(ddb):
    """The table as the previous version left it: user items without the list's keys, no count item."""
    for item in ddb.scan(TableName=dynamodb.table_name())["Items"]:
        if item["SK"]["S"] == "PROFILE":
            key = {"PK": item["PK"], "SK": item["SK"]}
            ddb.update_item(
                TableName=dynamodb.table_name(), Key=key, UpdateExpression="REMOVE GSI2PK, GSI2SK"
            )
    ddb.delete_item(TableName=dynamodb.table_name(), Key=dynamodb.key(*keys.user_counts()))


def raw_user(user_id: int) -> dict:
    return dynamodb.get_item(*keys.user(user_id), consistent=True)


def test_a_new_tables_first_registration_starts_an_authoritative_count(admin):
    assert counts() == {"total": 1, "status_1": 1}
    assert dynamodb.get_item(*keys.user_counts())["indexed"] is True
    assert user_list_items.users_page(None, 0, 10) is not None


def test_pages_with_and_without_status_are_exact_newest_first(gateway, admin, register):
    users = [register(prefix="listed")["user_id"] for _ in range(7)]
    for user_id in users[1::2]:  # 3 disabled, interleaved with the active ones
        set_status(gateway, admin.access_token, user_id, 0)
    newest_first = [*reversed(users), admin.user_id]
    active = [user_id for user_id in newest_first if user_id not in users[1::2]]
    disabled = [user_id for user_id in newest_first if user_id in users[1::2]]

    assert counts() == {"total": 8, "status_1": 5, "status_0": 3}
    for limit in (1, 2, 3, 8):
        for page in (1, 2, 3, 9):
            window = slice((page - 1) * limit, page * limit)
            shown = f"?page={page}&limit={limit}"
            assert ids_and_total(users_page(gateway, admin.access_token, shown)) == (newest_first[window], 8)
            on = users_page(gateway, admin.access_token, shown + "&status=1")
            assert ids_and_total(on) == (active[window], 5)
            off = users_page(gateway, admin.access_token, shown + "&status=0")
            assert ids_and_total(off) == (disabled[window], 3)
            assert all(user["status"] == 0 for user in off["users"])


def test_status_changes_move_the_counts_only_when_the_status_changes(gateway, admin, register):
    user_id = register()["user_id"]

    set_status(gateway, admin.access_token, user_id, 0)
    set_status(gateway, admin.access_token, user_id, 0)  # already disabled: nothing moves
    assert counts() == {"total": 2, "status_1": 1, "status_0": 1}

    set_status(gateway, admin.access_token, user_id, 1)
    promotion = {"role": "admin"}
    promoted = gateway.request("PUT", f"/api/admin/users/{user_id}", promotion, token=admin.access_token)
    assert promoted.status == 200, promoted.body
    assert counts() == {"total": 2, "status_1": 2, "status_0": 0}


def test_a_purge_uncounts_the_user_once_even_when_run_again(gateway, admin, sign_in):
    leaving = sign_in()
    set_status(gateway, admin.access_token, leaving.user_id, 0)
    set_status(gateway, admin.access_token, leaving.user_id, 1)
    marked = raw_user(leaving.user_id)

    response = gateway.request(
        "DELETE", "/api/auth/user", {"password": leaving.registration["password"]}, token=leaving.access_token
    )
    assert response.status == 200, response
    assert account_purging.finish(dynamodb.without_keys(marked))  # the stream's continuation, again

    assert counts() == {"total": 1, "status_1": 1, "status_0": 0}
    assert ids_and_total(users_page(gateway, admin.access_token)) == ([admin.user_id], 1)


def test_a_legacy_table_is_read_from_the_directory_until_the_backfill_indexes_it(
    gateway, admin, register, ddb
):
    older = [register(prefix="older")["user_id"] for _ in range(3)]
    make_legacy(ddb)
    newer = register(prefix="newer")["user_id"]  # counted, in a count item not yet authoritative
    set_status(gateway, admin.access_token, older[0], 0)  # not in the list yet: moves no count
    newest_first = [newer, *reversed(older), admin.user_id]

    assert user_list_items.users_page(None, 0, 10) is None
    assert counts() == {"total": 1, "status_1": 1}
    assert ids_and_total(users_page(gateway, admin.access_token)) == (newest_first, 5)
    assert ids_and_total(users_page(gateway, admin.access_token, "?status=0")) == ([older[0]], 1)

    done = account_backfill.backfill()

    assert done["listed"] == 4  # the three older users and the admin
    assert counts() == {"total": 5, "status_1": 4, "status_0": 1}
    assert user_list_items.users_page(None, 0, 10) is not None
    assert ids_and_total(users_page(gateway, admin.access_token, "?page=2&limit=2")) == (newest_first[2:4], 5)
    assert ids_and_total(users_page(gateway, admin.access_token, "?status=0")) == ([older[0]], 1)
    assert account_backfill.backfill()["listed"] == 0 and counts()["total"] == 5


def test_a_legacy_tables_first_registration_leaves_the_list_to_the_backfill(admin, ddb, register):
    make_legacy(ddb)

    register()

    assert "indexed" not in dynamodb.get_item(*keys.user_counts())
    assert counts() == {"total": 1, "status_1": 1}


def test_a_status_change_read_before_the_backfill_indexed_the_user_moves_the_counts(admin, register, ddb):
    user_id = register()["user_id"]
    make_legacy(ddb)
    read_before = user_items.get_user(user_id)

    assert user_list_items.index_user(raw_user(user_id))  # the backfill lands in between
    account_items.change_account(read_before, {"status": 0})

    assert counts() == {"total": 1, "status_1": 0, "status_0": 1}


def test_the_backfill_indexes_a_user_whose_status_changed_after_it_read_them(admin, register, ddb):
    user_id = register()["user_id"]
    make_legacy(ddb)
    read_by_backfill = raw_user(user_id)

    account_items.change_account(user_items.get_user(user_id), {"status": 0})  # uncounted: not listed
    assert counts() == {}
    assert user_list_items.index_user(read_by_backfill)  # condition fails on the status; read again

    assert counts() == {"total": 1, "status_0": 1}
    assert user_list_items.index_user(raw_user(user_id)) is False


def test_a_purge_of_a_user_not_yet_indexed_moves_no_count(gateway, admin, sign_in, ddb):
    leaving = sign_in()
    make_legacy(ddb)
    user_list_items.index_user(raw_user(admin.user_id))

    response = gateway.request(
        "DELETE", "/api/auth/user", {"password": leaving.registration["password"]}, token=leaving.access_token
    )

    assert response.status == 200, response
    assert raw_user(leaving.user_id) is None
    assert counts() == {"total": 1, "status_1": 1}


@pytest.mark.parametrize("status", [None, 1])
def test_the_list_keeps_working_when_the_count_item_went_missing(gateway, admin, register, ddb, status):
    register()
    ddb.delete_item(TableName=dynamodb.table_name(), Key=dynamodb.key(*keys.user_counts()))
    query = "" if status is None else f"?status={status}"

    assert ids_and_total(users_page(gateway, admin.access_token, query))[1] == 2


def test_a_table_the_local_tools_create_starts_with_what_a_first_registration_writes(ddb):
    from local.dynamodb_local import NEW_TABLE_USER_COUNTS

    user_list_items.start_counting()

    key = dynamodb.key(*keys.user_counts())
    assert ddb.get_item(TableName=dynamodb.table_name(), Key=key)["Item"] == NEW_TABLE_USER_COUNTS
