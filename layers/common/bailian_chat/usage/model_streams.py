"""A streamed model call as the caller reads it: the upstream's chunks, what they say assembled,
and the call logged once at its end, its failure or its closing (call_log)."""

from dataclasses import replace

from bailian_chat.bailian.stream import UpstreamStream
from bailian_chat.errors import DomainError
from bailian_chat.usage import usage_estimates
from bailian_chat.usage.call_log import Billing, CallSource, Usage, log_call_safely

# Logged for a stream closed before its end without an error (nginx's "client closed request"):
# its usage is estimated (usage_estimates).
CLOSED_EARLY_STATUS = 499


class ModelStream:
    """The upstream's chunk dicts as they arrive, the final usage chunk included. Iterating to the
    end logs the call once with the upstream's usage; a failure midway logs it with its status and
    the usage the upstream reported, then raises. What it said is assembled as it goes."""

    def __init__(
        self,
        source: CallSource,
        model: str,
        upstream: UpstreamStream,
        started: float,
        *,
        billing: Billing | None = None,
    ):
        self.source = source
        self._billing = billing or Billing({"model": model})
        self.model = model
        self.client_disconnected = False
        self.usage = Usage()
        self.raw_usage: dict | None = None  # the upstream's usage object as it came
        self.finish_reason: str | None = None
        self.id = ""
        self.created = 0
        self.response_model = ""
        self._upstream = upstream
        self._started = started
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._tool_calls: dict[int, dict] = {}
        self._chunks_received = 0  # chunks that carried text, reasoning or a tool call
        self._logged = False

    @property
    def text(self) -> str:
        return "".join(self._text)

    @property
    def reasoning(self) -> str:
        return "".join(self._reasoning)

    @property
    def tool_calls(self) -> list[dict]:
        return [self._tool_calls[index] for index in sorted(self._tool_calls)]

    @property
    def logged(self) -> bool:
        return self._logged

    def __iter__(self) -> "ModelStream":
        return self

    def __next__(self) -> dict:
        if self._logged:
            raise StopIteration
        try:
            chunk = next(self._upstream)
        except StopIteration:
            self._log(200)
            raise
        except DomainError as exc:
            reported = getattr(exc, "usage", None)
            self._log(exc.status_code, Usage.of(reported) if reported else self.usage)
            raise
        except Exception:
            self._log(500)
            raise
        self._absorb(chunk)
        return chunk

    def mark_client_disconnected(self) -> None:
        """The edge's client went away: the caller keeps draining, the log item says so."""
        self.client_disconnected = True

    def close(self) -> None:
        """Stops reading (nothing more is drained) and logs the call if it was not yet."""
        self._upstream.close()
        if not self._logged:
            self._log(CLOSED_EARLY_STATUS)

    def _absorb(self, chunk: dict) -> None:
        self.id = self.id or str(chunk.get("id") or "")
        self.created = self.created or int(chunk.get("created") or 0)
        self.response_model = self.response_model or str(chunk.get("model") or "")
        if chunk.get("usage"):
            self.raw_usage = chunk["usage"]
            self.usage = Usage.of(chunk["usage"])
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") or {}
            if delta.get("content") or delta.get("reasoning_content") or delta.get("tool_calls"):
                self._chunks_received += 1
            if delta.get("content"):
                self._text.append(delta["content"])
            if delta.get("reasoning_content"):
                self._reasoning.append(delta["reasoning_content"])
            for call in delta.get("tool_calls") or ():
                self._absorb_tool_call(call)
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]

    def _absorb_tool_call(self, delta: dict) -> None:
        empty = {"id": "", "type": "function", "function": {"name": "", "arguments": ""}}
        call = self._tool_calls.setdefault(int(delta.get("index") or 0), empty)
        call["id"] = delta.get("id") or call["id"]
        call["type"] = delta.get("type") or call["type"]
        function = delta.get("function") or {}
        call["function"]["name"] += function.get("name") or ""
        call["function"]["arguments"] += function.get("arguments") or ""

    def _log(self, status_code: int, usage: Usage | None = None) -> None:
        self._logged = True
        usage = self.usage if usage is None else usage
        if self.raw_usage is None and usage == Usage():
            usage = self._estimated_usage()
        billing = replace(self._billing, reasoning_seen=bool(self._reasoning))
        log_call_safely(
            self.source,
            self.model,
            status_code,
            usage,
            self._started,
            self.client_disconnected,
            billing=billing,
        )

    def _estimated_usage(self) -> Usage:
        """What the call used by estimate, the upstream having never said (usage_estimates)."""
        calls = "".join(call["function"]["name"] + call["function"]["arguments"] for call in self.tool_calls)
        received = self.text + self.reasoning + calls
        prompt = usage_estimates.prompt_tokens(self._billing.payload)
        completion = usage_estimates.completion_tokens(received, self._chunks_received)
        reasoning = usage_estimates.text_tokens(self.reasoning) if self.reasoning else 0
        return Usage(prompt, completion, prompt + completion, min(reasoning, completion), estimated=True)
