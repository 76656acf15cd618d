"""POST /v1/chat/completions: OpenAI's Chat Completions contract, unwrapped. `stream: true`
answers text/event-stream, one `data: {chat.completion.chunk}` per upstream chunk as it arrives,
then `data: [DONE]`. Errors are OpenAI's `{"error": {...}}` with the real status; after the first
chunk, one `data: {"error": {...}}` event ends the stream.

An ASGI app served by uvicorn behind the Lambda Web Adapter (run.sh), streamed by API Gateway."""

from bailian_chat.api import openai_errors
from bailian_chat.api.asgi import create_asgi_app, guarded, openai_error_response
from bailian_chat.api.streaming import EventStreamResponse, invocation, json_response, run_sync, sse_data
from bailian_chat.chat import openai_chat
from starlette.requests import Request
from starlette.responses import Response

DONE = sse_data("[DONE]")


def error_event(exc) -> bytes:
    return sse_data(openai_errors.from_domain_error(exc).body)


@guarded(openai_error_response)
async def chat_completions(request: Request) -> Response:
    source = invocation(request).call_source()
    chat_request = openai_chat.parse_request(await request.body())
    if not chat_request.stream:
        return json_response(200, await run_sync(openai_chat.complete, source, chat_request))
    chunks = await run_sync(openai_chat.stream, source, chat_request)
    return EventStreamResponse(
        chunks, sse_data, error_event, tail=DONE, before_first_error=openai_error_response
    )


app = create_asgi_app(
    [("/v1/chat/completions", "POST", chat_completions)], request_models=[openai_chat.OpenAIChatRequest]
)
