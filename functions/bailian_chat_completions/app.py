"""POST /api/bailian/chat/completions (spec 4.1): the model proxy; the provider key stays here."""

from typing import Annotated

from bailian_chat.api.answers import BAD_REQUEST, GATEWAY_TIMEOUT, NOT_AUTHENTICATED, answers
from bailian_chat.api.app import create_app, lambda_handler, model_call_source
from bailian_chat.api.params import Body
from bailian_chat.chat import completions
from bailian_chat.chat.models import ChatCompletionRequest
from bailian_chat.chat.responses import ChatCompletion

app = create_app()


@app.post(
    "/api/bailian/chat/completions",
    summary="4.1 Call AI model",
    tags=["bailian"],
    responses=answers(
        "Request successful",
        {
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: "An API key used a model outside its allow-list",
            429: "Request rate limit exceeded (the user's or the API key's own; Retry-After), or "
            "\"Budget exceeded\" (a spend limit: the user's daily or monthly, or the API key's "
            "monthly_budget)",
            503: "Bailian API service unavailable",
            504: GATEWAY_TIMEOUT,
        },
    ),
)
def handle_chat_completion(request: Annotated[ChatCompletionRequest, Body()]) -> ChatCompletion:
    return completions.complete(model_call_source(app), request)


handler = lambda_handler(app)
