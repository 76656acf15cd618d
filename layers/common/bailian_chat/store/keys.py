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
