"""What an API key itself limits, checked before its model call: its model allow-list and its own
per-minute rate (on top of the user's, which every call counts against too)."""

from bailian_chat.auth.callers import KeyGrant
from bailian_chat.errors import Forbidden
from bailian_chat.usage import rate_limit


class ModelNotAllowed(Forbidden):
    param = "model"  # OpenAI's error body names the field


def admit(grant: KeyGrant | None, model: str) -> None:
    """Forbidden for a model the key may not use; RateLimited when its own per-minute limit is
    used up. Nothing for an access token."""
    if grant is None:
        return
    if grant.models is not None and model not in grant.models:
        allowed = ", ".join(grant.models)
        raise ModelNotAllowed(f"This API key may not use model {model}; it may use: {allowed}")
    if grant.rate_limit_per_minute:
        rate_limit.take_key_model_call(grant.key_id, grant.rate_limit_per_minute)
