"""Spend periods, reservations and a user's own limits.

A period item (a user's day or month, an API key's month) holds `spent_nanos`, `reserved_nanos`
and their sum `committed_nanos` (DynamoDB conditions cannot add, so the sum is kept). A reservation
is one TransactWriteItems: the reservation's own item plus ADD to each period, each period with a
limit conditioned on `committed_nanos <= limit - amount`; it fails as a whole when any would cross.
Settlement is a set of actions for the call log's own transaction (`settle_actions`): spent +cost,
reserved -amount, the reservation item deleted. A reservation whose function died is released by
`release_expired` once its lease is over: never counted as spent.
"""

from dataclasses import dataclass

from bailian_chat.store import dynamodb, keys, queries, transactions
from bailian_chat.store.item_types import SpendLimits

DAY_PERIOD_TTL_SECONDS = 40 * 86_400
MONTH_PERIOD_TTL_SECONDS = 400 * 86_400


@dataclass(frozen=True)
class Period:
    """One period item a call counts in, with the limit it must stay within (None: none)."""

    pk: str
    sk: str
    expires_at: int  # TTL of the period item
    limit_nanos: int | None = None


class Contended(Exception):
    """The reservation kept meeting concurrent transactions on its periods (retries exhausted)."""


class LimitReached(Exception):
    def __init__(self, period: Period):
        super().__init__(f"spend limit reached in {period.pk} {period.sk}")
        self.period = period


# Names of the settlement's actions in the call log's transaction.
PERIOD = "period"
RESERVATION = "reservation"

CEILINGS = ("daily_limit_ceiling", "monthly_limit_ceiling")  # set by an admin on the user item


def get_limits(user_id: int) -> SpendLimits:
    """The user's own limits and the ceilings an admin set, in one BatchGetItem."""
    limits_key, user_key = keys.budget_limits(user_id), keys.user(user_id)
    found = dynamodb.get_items([limits_key, user_key], consistent=True)
    return limits_of(found.get(limits_key), found.get(user_key))


def limits_of(own_limits: dict | None, user: dict | None) -> SpendLimits:
    """The user's limits item (its own limits) merged with the ceilings on their user item; for a
    reader that fetched both with other items in its own batch (the authorizer)."""
    own = dynamodb.without_keys(own_limits) or {}
    user = user or {}
    return {**own, **{name: user[name] for name in CEILINGS if user.get(name) is not None}}


def put_limits(user_id: int, daily_limit: str | None, monthly_limit: str | None, when: str) -> None:
    dynamodb.put_item(
        {
            **keys.pk_sk(keys.budget_limits(user_id)),
            "daily_limit": daily_limit,
            "monthly_limit": monthly_limit,
            "updated_at": when,
        }
    )


def get_periods(pairs: list[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    return dynamodb.get_items(pairs, consistent=True)


def _period_update(period: Period, spent: int, reserved: int, condition: str | None = None) -> dict:
    values = {":spent": spent, ":reserved": reserved, ":committed": spent + reserved}
    additions = "ADD spent_nanos :spent, reserved_nanos :reserved, committed_nanos :committed"
    if period.expires_at:  # 0: a period known to exist already (a reservation's)
        values[":expires"] = period.expires_at
        additions = f"SET expires_at = if_not_exists(expires_at, :expires) {additions}"
    update = {"Key": dynamodb.key(period.pk, period.sk), "UpdateExpression": additions}
    if condition is not None:
        update["ConditionExpression"] = condition
        values[":headroom"] = period.limit_nanos - reserved
    update["ExpressionAttributeValues"] = dynamodb.to_values(values)
    return {"Update": update}


def reserve(
    user_id: int,
    reservation_id: str,
    amount: int,
    periods: list[Period],
    lease_until: int,
    also: list[transactions.NamedAction] = (),
) -> None:
    """Holds `amount` in every period, in one conditional transaction with `also` (actions that
    belong with it: the call's rate-limit count); LimitReached (nothing written) when it would take
    any period with a limit past it, transactions.AlsoRefused when one of `also` was refused."""
    for period in periods:
        if period.limit_nanos is not None and amount > period.limit_nanos:
            raise LimitReached(period)
    within = "attribute_not_exists(committed_nanos) OR committed_nanos <= :headroom"
    item = {
        "PK": keys.spend_reservations(user_id),
        "SK": reservation_id,
        "amount_nanos": amount,
        "periods": [[p.pk, p.sk] for p in periods],
        "lease_until": lease_until,
        # The table's TTL only tidies up, long after the lease: until release_expired has given the
        # amount back, the item is what says it is still held.
        "expires_at": max(p.expires_at for p in periods),
    }
    actions = [(RESERVATION, {"Put": {"Item": dynamodb.to_item(item)}})]
    actions += [
        (
            f"{PERIOD}:{p.sk}:{p.pk}",
            _period_update(p, 0, amount, within if p.limit_nanos is not None else None),
        )
        for p in periods
    ]
    own = {name for name, _ in actions}
    actions += list(also)
    try:
        transactions.write(actions)
    except dynamodb.TransactionCancelled as exc:
        failed = transactions.failed(exc, actions)
        if failed - own:
            raise transactions.AlsoRefused(exc, actions) from exc
        for period in periods:
            if f"{PERIOD}:{period.sk}:{period.pk}" in failed:
                raise LimitReached(period) from exc
        if transactions.CONFLICT in exc.reasons:
            raise Contended() from exc
        raise


def settle_actions(
    user_id: int,
    cost: int,
    periods: list[Period],
    reservation_id: str | None = None,
    reserved: int = 0,
    reserved_periods: list[tuple[str, str]] = (),
) -> list[transactions.NamedAction]:
    """Actions for the call log's transaction: `cost` spent in `periods`, and the reservation (if
    any) released from the periods it was held in; its item must still exist (else the
    transaction fails on the action named RESERVATION)."""
    changes: dict[tuple[str, str], list] = {(p.pk, p.sk): [p, cost, 0] for p in periods}
    if reservation_id is not None:
        for pk, sk in reserved_periods:
            change = changes.setdefault((pk, sk), [Period(pk, sk, 0), 0, 0])
            change[2] -= reserved
    actions = [(PERIOD, _period_update(period, spent, held)) for period, spent, held in changes.values()]
    if reservation_id is not None:
        pair = (keys.spend_reservations(user_id), reservation_id)
        actions.append((RESERVATION, transactions.delete_if_present(pair)))
    return actions


def open_reservations(user_id: int) -> list[dict]:
    return queries.query_all("PK = :pk", {":pk": keys.spend_reservations(user_id)}, consistent=True)


def release(user_id: int, reservation: dict) -> bool:
    """Gives a dead reservation's amount back to its periods and deletes it, in one transaction;
    False when it was settled or released meanwhile."""
    amount = int(reservation["amount_nanos"])
    actions = [
        {
            "Delete": {
                "Key": dynamodb.key(keys.spend_reservations(user_id), reservation["SK"]),
                "ConditionExpression": "attribute_exists(PK)",
            }
        },
        *(_period_update(Period(pk, sk, 0), 0, -amount) for pk, sk in reservation["periods"]),
    ]
    try:
        dynamodb.transact_write(actions)
    except dynamodb.TransactionCancelled:
        return False
    return True
