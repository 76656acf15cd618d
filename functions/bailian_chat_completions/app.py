"""POST /api/bailian/chat/completions (spec 4.1): the model proxy; the provider key stays here."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from bailian_chat.api.app import create_app, lambda_handler, model_call_source
from bailian_chat.api.envelope import ok
from bailian_chat.chat import completions
from bailian_chat.chat.models import ChatCompletionRequest

app = create_app()


@app.post("/api/bailian/chat/completions")
def handle_chat_completion(request: Annotated[ChatCompletionRequest, Body()]):
    return ok("Request successful", completions.complete(model_call_source(app), request))


handler = lambda_handler(app)
