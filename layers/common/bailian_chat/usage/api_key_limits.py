"""What an API key itself allows, checked before its model call: its model allow-list. (Its own
per-minute rate is counted with the user's, in one write: usage/model_calls.py.)"""

from bailian_chat.auth.callers import KeyGrant
from bailian_chat.errors import Forbidden


class ModelNotAllowed(Forbidden):
    param = "model"  # OpenAI's error body names the field


def admit(grant: KeyGrant | None, model: str) -> None:
    """Forbidden for a model the key may not use. Nothing for an access token."""
    if grant is None:
        return
    if grant.models is not None and model not in grant.models:
        allowed = ", ".join(grant.models)
        raise ModelNotAllowed(f"This API key may not use model {model}; it may use: {allowed}")
