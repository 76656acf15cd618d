"""A fake Alibaba Cloud Model Studio (Bailian / DashScope) for local development and tests.

It speaks DashScope's OpenAI-compatible wire format at ``POST /compatible-mode/v1/chat/completions``
(so a client's base URL is ``http://127.0.0.1:<port>/compatible-mode/v1``) plus ``GET /health``.

Wire format (matched to the Model Studio docs and to bodies real clients have captured):

* success: ``{"choices":[{"message":{"role":"assistant","content":"<str>"},"finish_reason":"stop",
  "index":0,"logprobs":null}],"object":"chat.completion","usage":{"prompt_tokens":..,
  "completion_tokens":..,"total_tokens":..},"created":<epoch s>,"system_fingerprint":null,
  "model":"<echoed>","id":"chatcmpl-<request id>"}``. ``message.content`` is always a string.
  Upstream carries the request id in ``id`` (``chatcmpl-<request id>``), not as a body field; the fake
  also sends it as an ``x-request-id`` header.
* streaming (``"stream": true``): ``text/event-stream`` of ``data: <chunk>\\n\\n`` where every chunk is
  ``{"choices":[{"delta":..,"finish_reason":..,"index":0,"logprobs":null}],
  "object":"chat.completion.chunk","usage":null,"created":..,"system_fingerprint":null,"model":..,
  "id":..}``: the first delta is ``{"role":"assistant","content":""}``, then content pieces, then a
  chunk with ``{"content":""}`` and the finish_reason; only when ``stream_options.include_usage`` is
  true, one more chunk with ``"choices":[]`` and ``usage``; then ``data: [DONE]\\n\\n``.
* errors: ``{"error":{"code":..,"message":..,"param":null,"type":..},"id":"chatcmpl-<rid>",
  "request_id":"<rid>"}``; the codes/types/messages are in ``errors.ERRORS``.

Deterministic replies: the reply is ``"Echo: <text of the last user message>"`` (text parts joined with
a newline), followed by ``" [images: N, videos: M]"`` when that message carried any image/video parts.

Token formula (deterministic, not a real tokenizer):

* ``tokens(text) = ceil(len(text) / 4)`` (characters, not bytes);
* ``prompt_tokens = sum over messages of (4 + sum of tokens(text part)
  + 256 per image part + 1024 per video part)``; a string content counts as one text part;
* ``completion_tokens = tokens(reply)``; ``total_tokens = prompt_tokens + completion_tokens``.
* With ``max_tokens`` smaller than ``tokens(reply)``, the reply is cut to its first
  ``4 * max_tokens`` characters, ``completion_tokens == max_tokens`` and ``finish_reason`` is
  ``"length"``.

Validation (cheap subset of upstream's): ``Authorization: Bearer <api_key>`` first (else 401
invalid_api_key), then a JSON object body with a string ``model``, a non-empty ``messages`` list of
``{"role": system|user|assistant, "content": str | [parts]}`` where parts are ``{"type":"text","text"}``
/ ``{"type":"image_url","image_url":{"url"}}`` / ``{"type":"video_url","video_url":{"url"}}``;
``temperature`` a number in [0, 2) (upstream rejects 2.0 itself); ``max_tokens`` an integer >= 1
(<= 8192 for ``qwen-vl*`` models); ``stream`` a boolean; ``stream_options`` an object.

Fault injection: a marker in the text of the LAST user message (string content or any text part):

* ``#fault:400`` 400 invalid_parameter_error, ``#fault:inspection`` 400 data_inspection_failed,
  ``#fault:arrearage`` 400 Arrearage, ``#fault:401`` 401 invalid_api_key,
  ``#fault:429`` 429 limit_requests (with ``Retry-After: 1``), ``#fault:quota`` 429
  insufficient_quota (with ``Retry-After: 1``), ``#fault:500`` 500 internal_error,
  ``#fault:503`` 503 ModelUnavailable;
* ``#fault:timeout`` waits ``timeout_delay_seconds`` (or until the client goes away) and then answers
  normally; ``#fault:malformed`` answers 200 ``application/json`` with a body that is not JSON;
  ``#fault:disconnect`` closes the TCP connection without sending any HTTP response;
* ``#fault:<kind>x<N>`` (e.g. ``#fault:503x2``, ``#fault:disconnectx1``) fails N times and then answers
  normally. Failures are counted per distinct request (sha256 of model + messages), so a client's
  retries of the same request are what count; the counter is dropped after the normal answer, so the
  same request later fails N times again. State is per app instance and lock-protected.

Thinking: when the request has ``"enable_thinking": true`` or the model always thinks (its name starts with
``qwq``/``qvq`` or contains ``thinking``), the answer carries ``reasoning_content`` =
``"Thinking about: <text of the last user message>"`` (cut to ``4 * thinking_budget`` characters when
``thinking_budget`` is given) before its content; its tokens count in ``completion_tokens`` and in
``usage.completion_tokens_details.reasoning_tokens``. Streamed, reasoning deltas
(``{"content": null, "reasoning_content": ".."}``) come before the content deltas. As upstream,
thinking is answered only when streamed: a buffered request to a thinking-only model is 400 ("This
model only support stream mode..."), and one with ``enable_thinking: true`` is 400 too.

Tool calls (deterministic rule): when the request has a non-empty ``tools`` list, ``tool_choice`` is not
``"none"``, the LAST message is the user's and its text contains ``#tool:<name>`` naming one of the
declared functions, the answer is ``message.tool_calls`` = one call ``{"id": "call_<24 hex>",
"type": "function", "function": {"name": <name>, "arguments": "{\"text\": <that text>}"}}`` with
``content: null`` and ``finish_reason: "tool_calls"``; streamed, the first delta carries the id and name
and the arguments follow in pieces. When the last message is a ``tool`` message (``tool_call_id``
required), the reply is ``"Tool result: <its content>"``.

Stream faults (only for ``"stream": true``; N counts the data chunks, the role chunk being the first):

* ``#fault:slow:<ms>`` waits <ms> milliseconds before every chunk after the first, so chunks arrive
  spread over time;
* ``#fault:cut-after:<N>`` sends N chunks and then drops the TCP connection (no ``[DONE]``);
* ``#fault:stall-after:<N>`` sends N chunks, then goes silent for ``timeout_delay_seconds`` (or until
  the client leaves) before going on;
* ``#fault:error-after:<N>`` sends N chunks, then one ``data: {"error": {..500 internal_error..},
  "request_id": .., "usage": {..}}`` event (usage: the prompt plus what was streamed so far; an
  assumption of the fake, which a client must also do without) and ends the stream without ``[DONE]``.

One access line per request goes to stdout: method, path, status (``-`` when no response was sent)
and the fault marker if any. Headers are never logged, so the API key never is.

Run standalone: ``python -m local.fake_bailian --port 8090 --api-key KEY``.
In tests: ``with serve("127.0.0.1", 0, "KEY", timeout_delay_seconds=1.0) as fake: fake.base_url``.

Modules, by concern: request (validation), completion (the deterministic answer and token formula),
errors, faults (markers and x<N> counters), connection (drop / wait), streaming (SSE), endpoint (the
ASGI app), server (the threaded harness from local.http_server).
"""

from local.fake_bailian.endpoint import BASE_PATH, CHAT_PATH, ChatCompletions, create_app
from local.fake_bailian.errors import ERRORS
from local.fake_bailian.server import FakeBailianServer, serve

__all__ = ["BASE_PATH", "CHAT_PATH", "ERRORS", "ChatCompletions", "FakeBailianServer", "create_app", "serve"]
