"""The model proxy (spec 4.1): validated request in, the spec's response shape out."""

from bailian_chat.bailian.wire import reply_content, to_upstream
from bailian_chat.chat.model_catalog import answers_only_streamed, check_content_fits, spec_path
from bailian_chat.chat.models import ChatCompletionRequest
from bailian_chat.usage.model_calls import CallSource, call_model


def complete(source: CallSource, request: ChatCompletionRequest) -> dict:
    upstream = [
        to_upstream(m.role, m.content if isinstance(m.content, str) else [p.model_dump() for p in m.content])
        for m in request.messages
    ]
    check_content_fits(request.model, upstream, spec_path)  # issue 11: 400 naming the model
    payload = {"model": request.model, "messages": upstream, "temperature": request.temperature}
    if request.max_tokens is not None:
        payload["max_tokens"] = request.max_tokens
    completion = call_model(source, payload, streamed=answers_only_streamed(request.model))
    return {
        "id": completion.id,
        "object": "chat.completion",
        "created": completion.created,
        "model": completion.model or request.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply_content(completion.text)},
                "finish_reason": completion.finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": completion.prompt_tokens,
            "completion_tokens": completion.completion_tokens,
            "total_tokens": completion.total_tokens,
        },
    }
