"""Key builders for the single table: one place that knows how items are addressed."""


def counter(name: str) -> tuple[str, str]:
    return "COUNTER", name


def user(user_id: int) -> tuple[str, str]:
    return f"USER#{user_id}", "PROFILE"


def username(name: str) -> tuple[str, str]:
    return f"USERNAME#{name.lower()}", "UNIQUE"


def email(address: str) -> tuple[str, str]:
    return f"EMAIL#{address.lower()}", "UNIQUE"


def session(session_id: str) -> tuple[str, str]:
    return f"SESSION#{session_id}", "SESSION"


def login_failures(account: str, client_ip: str) -> tuple[str, str]:
    return f"LOGINFAIL#{account.lower()}#{client_ip}", "THROTTLE"


def pk_sk(pair: tuple[str, str]) -> dict:
    return {"PK": pair[0], "SK": pair[1]}


def conversation(conversation_id: int) -> tuple[str, str]:
    return f"CONV#{conversation_id}", "CONV"


def message(conversation_id: int, message_id: int) -> tuple[str, str]:
    # Zero-padded so that the sort key orders messages oldest first.
    return f"CONV#{conversation_id}", f"MSG#{message_id:016d}"


def message_pointer(message_id: int) -> tuple[str, str]:
    """Finds a message (and its conversation's owner) by id alone, in one GetItem."""
    return f"MSGID#{message_id}", "MSGID"


# Index sort keys of a count item kept at the head of the list it counts, so one Query reads the
# count with the page: the lists' own sort keys are digits, which "~" sorts after and "#" before.
HEAD_OF_NEWEST_FIRST = "~COUNT"
HEAD_OF_OLDEST_FIRST = "#COUNT"


def conversation_counts(user_id: int) -> tuple[str, str]:
    """How many conversations a user has (`total`, and `model#<name>` per model): GSI1's head."""
    return f"USER#{user_id}", "CONVCOUNT"


def conversation_model_count(user_id: int, model_name: str) -> tuple[str, str]:
    """How many conversations of one model a user has: the head of that model's GSI2 list."""
    return f"USER#{user_id}", f"CONVCOUNT#{model_name}"


def user_conversations(user_id: int, model_name: str | None = None) -> str:
    """GSI1 (all models) or GSI2 (one model) partition of a user's conversations by recency."""
    return f"USER#{user_id}#CONVS" if model_name is None else f"USER#{user_id}#CONVS#{model_name}"


def recency(updated_ms: int, conversation_id: int) -> str:
    return f"{updated_ms:015d}#{conversation_id:016d}"


def daily_rollup(user_id: int, day: str, model_name: str) -> tuple[str, str]:
    return f"USER#{user_id}#DAILY", f"{day}#{model_name}"


def api_calls(user_id: int, model_name: str | None = None) -> str:
    """Partition of a user's API calls (base table), or of one model's (GSI2)."""
    return f"USER#{user_id}#CALLS" if model_name is None else f"USER#{user_id}#CALLS#{model_name}"


def api_call_id(call_id: int) -> tuple[str, str]:
    """Claims a call id (the call item lives under its user: this finds the id taken by anyone)."""
    return f"CALLID#{call_id}", "CALLID"


def api_call_time(created_ms: int, call_id: int) -> str:
    return f"{created_ms:015d}#{call_id:016d}"


def rate_window(subject: int | str, window_start: int) -> tuple[str, str]:
    """A rate-limit window of a user (their id) or of an API key (`api_key_rate_subject`)."""
    return f"RATE#{subject}", str(window_start)


def api_key(digest: str) -> tuple[str, str]:
    """An API key, addressed by the HMAC digest of its secret (the authorizer's one lookup)."""
    return f"APIKEY#{digest}", "APIKEY"


def api_key_pointer(key_id: int) -> tuple[str, str]:
    """Finds an API key (its digest and owner) by its public id, in one GetItem."""
    return f"APIKEYID#{key_id}", "APIKEYID"


def api_key_counts(user_id: int) -> tuple[str, str]:
    """How many keys a user ever created (revoked ones stay listed): the head of their GSI1 list."""
    return f"USER#{user_id}", "APIKEYCOUNT"


def user_api_keys(user_id: int) -> str:
    """GSI1 partition of a user's API keys, oldest first by id."""
    return f"USER#{user_id}#APIKEYS"


def api_key_order(key_id: int) -> str:
    return f"{key_id:016d}"


def api_key_calls(user_id: int, key_id: int) -> str:
    """GSI1 partition of the calls a user made with one of their API keys (user-scoped: another
    user's key id finds nothing)."""
    return f"USER#{user_id}#CALLS#KEY#{key_id}"


def api_key_daily_rollup(user_id: int, key_id: int, day: str, model_name: str) -> tuple[str, str]:
    return f"USER#{user_id}#KEY#{key_id}#DAILY", f"{day}#{model_name}"


def api_key_rate_subject(key_id: int) -> str:
    """What an API key's own rate-limit windows are counted under (`RATE#KEY#<id>`)."""
    return f"KEY#{key_id}"


def budget_limits(user_id: int) -> tuple[str, str]:
    """A user's own spend limits (lower than the deployment's, if any)."""
    return f"USER#{user_id}", "BUDGET"


def spend_period(user_id: int, period: str) -> tuple[str, str]:
    """What a user spent and holds reserved in one period ("DAY#2026-12-02", "MONTH#2026-12")."""
    return f"USER#{user_id}#SPEND", period


def key_spend_period(user_id: int, key_id: int, period: str) -> tuple[str, str]:
    return f"USER#{user_id}#KEY#{key_id}#SPEND", period


def spend_reservations(user_id: int) -> str:
    """Partition of a user's open spend reservations (one item each, until settled or swept)."""
    return f"USER#{user_id}#RESERVATIONS"


def user_session(user_id: int, session_id: str) -> tuple[str, str]:
    """A pointer to one of the user's sessions, written with the session: lists them in one Query."""
    return f"USER#{user_id}", f"SESSION#{session_id}"


USER_SESSIONS_PREFIX = "SESSION#"

# The admin directory (GSI1): one entry per username (on the user item) and one per email (on the
# email claim item), in one partition ordered by the text, so a prefix is one Query's key range.
USER_DIRECTORY = "USERDIR"


def directory_username(username: str, user_id: int) -> str:
    return f"u#{username.lower()}#{user_id:016d}"


def directory_email(address: str, user_id: int) -> str:
    return f"e#{address.lower()}#{user_id:016d}"


# Every user newest first (GSI2, by id: ids grow with time), headed by their count item.
ALL_USERS = "USERS"


def user_order(user_id: int) -> str:
    return f"{user_id:016d}"


def user_counts() -> tuple[str, str]:
    """How many users there are (`total`, `status_<s>` per status): the head of ALL_USERS."""
    return counter("users")


def active_admins() -> tuple[str, str]:
    """How many active admins there are: changed in the same transaction as a role or status."""
    return counter("active-admins")


# Deployment-wide statistics, written only by the usage aggregator (off the request path), across
# STATS_SHARDS partitions: shard s holds, for every day, the daily rows of the aggregator's chunks
# hashed to s and the ranking rows of the users whose id is s modulo the shard count. One Query
# per shard over a range of days reads both.
def deployment_shard(shard: int) -> str:
    return f"STATS#SHARD#{shard}"


def deployment_shard_daily(shard: int, day: str, model_name: str) -> tuple[str, str]:
    """Part of the whole deployment's counts of one UTC day and model (readers sum the shards)."""
    return deployment_shard(shard), f"{day}#D#{model_name}"


def deployment_shard_user_day(shard: int, day: str, user_id: int, model_name: str) -> tuple[str, str]:
    """One user's counts of one day and model (the top-users ranking), in the user's shard."""
    return deployment_shard(shard), f"{day}#U#{user_id:016d}#{model_name}"


def deployment_range(start_day: str, end_day: str) -> tuple[str, str]:
    """The sort keys of every row of the days start_day..end_day (inclusive), in any partition."""
    return f"{start_day}#", f"{end_day}#\uffff"


# Written before the sharding (read and deleted still, never written): one partition of daily rows
# for the whole deployment and one ranking partition per day.
DEPLOYMENT_DAILY = "STATS#DAILY"


def deployment_daily(day: str, model_name: str) -> tuple[str, str]:
    return DEPLOYMENT_DAILY, f"{day}#{model_name}"


def deployment_user_day(day: str, user_id: int, model_name: str) -> tuple[str, str]:
    return f"STATS#USERS#{day}", f"{user_id:016d}#{model_name}"


def deployment_user_total() -> tuple[str, str]:
    """How many accounts exist (registrations minus deletions), and the shard counts the
    statistics were ever written with (`shard_counts`)."""
    return "STATS#TOTALS", "USERS"


def aggregated_record(event_id: str) -> tuple[str, str]:
    """Marks a stream record as aggregated, so a redelivery adds nothing twice."""
    return f"AGG#{event_id}", "AGG"


AUDIT_PREFIX = "AUDIT#"


def audit(user_id: int, audit_id: str) -> tuple[str, str]:
    """One security event of the user's; `audit_id` orders by time (newest last)."""
    return f"USER#{user_id}", f"{AUDIT_PREFIX}{audit_id}"
