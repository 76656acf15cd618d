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


def conversation_counts(user_id: int) -> tuple[str, str]:
    return f"USER#{user_id}", "CONVCOUNT"


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


def api_call_time(created_ms: int, call_id: int) -> str:
    return f"{created_ms:015d}#{call_id:016d}"


def rate_window(user_id: int, window_start: int) -> tuple[str, str]:
    return f"RATE#{user_id}", str(window_start)


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


def active_admins() -> tuple[str, str]:
    """How many active admins there are: changed in the same transaction as a role or status."""
    return counter("active-admins")


# Deployment-wide statistics, written only by the usage aggregator (off the request path).
DEPLOYMENT_DAILY = "STATS#DAILY"


def deployment_daily(day: str, model_name: str) -> tuple[str, str]:
    """The whole deployment's counts of one UTC day and model."""
    return DEPLOYMENT_DAILY, f"{day}#{model_name}"


def deployment_user_day(day: str, user_id: int, model_name: str) -> tuple[str, str]:
    """One user's counts of one day and model, in that day's partition (the top-users ranking)."""
    return f"STATS#USERS#{day}", f"{user_id:016d}#{model_name}"


def deployment_user_total() -> tuple[str, str]:
    """How many accounts exist (registrations minus deletions)."""
    return "STATS#TOTALS", "USERS"


def aggregated_record(event_id: str) -> tuple[str, str]:
    """Marks a stream record as aggregated, so a redelivery adds nothing twice."""
    return f"AGG#{event_id}", "AGG"


AUDIT_PREFIX = "AUDIT#"


def audit(user_id: int, audit_id: str) -> tuple[str, str]:
    """One security event of the user's; `audit_id` orders by time (newest last)."""
    return f"USER#{user_id}", f"{AUDIT_PREFIX}{audit_id}"
