"""POST /api/conversations/{conversation_id}/messages/stream: spec 3.1's body (plus optional
temperature, max_tokens, enable_thinking); the user message is stored first, then the answer
streams as text/event-stream: `event: message` (the stored user message), `event: delta`
({"text"} or {"reasoning"}) as the model writes, then `event: reply` (the stored assistant
message with its usage) or `event: error` ({"code","message"}; the user message stays stored).
Errors before the user message is stored answer the spec's envelope with the real status.

An ASGI app served by uvicorn behind the Lambda Web Adapter (run.sh), streamed by API Gateway."""

from bailian_chat.api.asgi import create_asgi_app, envelope_response, guarded, parse_body, path_id
from bailian_chat.api.streaming import EventStreamResponse, invocation, run_sync, sse_event
from bailian_chat.chat import reply_streams
from bailian_chat.errors import DomainError
from starlette.requests import Request
from starlette.responses import Response


def render(item: tuple[str, dict]) -> bytes:
    event, data = item
    return sse_event(event, data)


def error_event(exc: DomainError) -> bytes:
    return sse_event("error", {"code": exc.status_code, "message": exc.message})


@guarded(envelope_response)
async def send_streamed(request: Request) -> Response:
    caller = invocation(request)
    conversation_id = path_id(request, "conversation_id")
    content_type = request.headers.get("content-type")
    body = parse_body(reply_streams.StreamSendRequest, await request.body(), content_type)
    replies = await run_sync(
        reply_streams.start, caller.call_source(), caller.caller.user_id, conversation_id, body
    )
    return EventStreamResponse(replies, render, error_event)


app = create_asgi_app(
    [("/api/conversations/{conversation_id}/messages/stream", "POST", send_streamed)],
    request_models=[reply_streams.StreamSendRequest],
)
