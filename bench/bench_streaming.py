"""Benchmark (not a test) of streamed completions, side by side in one run:

1. Time to first token and total time of a streamed completion (POST /v1/chat/completions with
   `stream: true` through the local gateway: authorizer, rate limit, the ASGI function, the call
   log) vs the same request streamed straight from the fake Bailian, interleaved: p50/p95 and ratios.
2. Chunks arrive spread over time, not all at the end: with the fake spacing its chunks
   (`#fault:slow:<ms>`), the arrival times of the content chunks through the gateway span (first to
   last) at least 80% of the span of the same stream read straight from the fake.

    .venv/bin/python -m bench.bench_streaming [--calls 50] [--slow-ms 50] [--json rows.json]
"""

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from bench.bench_model_path import BENCH_ENV, login
from bench.support import Row, add_json_argument, percentile, write_rows
from local.stack import LocalStack

MODEL = "qwen-plus"
QUESTION = "Please describe, in a few sentences, how a river reaches the sea."
SPREAD_FLOOR = 0.8


@dataclass(frozen=True)
class Timing:
    """One streamed completion, in ms from sending the request: the first content chunk, every
    content chunk's arrival, and the end of the stream."""

    first_token_ms: float
    arrivals_ms: list[float]
    total_ms: float

    @property
    def span_ms(self) -> float:
        return self.arrivals_ms[-1] - self.arrivals_ms[0]


def read_stream(client: httpx.Client, url: str, body: dict, headers: dict) -> Timing:
    started = time.perf_counter()
    arrivals: list[float] = []
    with client.stream("POST", url, json=body, headers=headers) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if not line.startswith("data:"):
                continue
            data = line[len("data:") :].strip()
            if data == "[DONE]":
                break
            chunk = json.loads(data)
            if chunk.get("error"):
                raise RuntimeError(f"the stream failed: {chunk['error']}")
            delta = chunk["choices"][0]["delta"] if chunk.get("choices") else {}
            if delta.get("content") or delta.get("reasoning_content"):
                arrivals.append((time.perf_counter() - started) * 1000)
    total = (time.perf_counter() - started) * 1000
    if not arrivals:
        raise RuntimeError(f"no content chunk from {url}")
    return Timing(arrivals[0], arrivals, total)


def body(text: str) -> dict:
    return {
        "model": MODEL,
        "messages": [{"role": "user", "content": text}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """The fake's access lines and the streaming functions' logs (child processes that inherit file
    descriptor 1) go to stderr, so stdout holds only the results."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def measure(calls: int, slow_ms: int) -> tuple[list[Timing], list[Timing], Timing, Timing]:
    with (
        stdout_to_stderr(),
        LocalStack(env_vars=BENCH_ENV, prewarm=True) as stack,
        httpx.Client(base_url=stack.base_url, timeout=60) as api,
        httpx.Client(timeout=60) as upstream,
    ):
        ours = ("/v1/chat/completions", {"Authorization": f"Bearer {login(api)}"})
        upstream_key = {"Authorization": f"Bearer {stack.bailian_api_key}"}
        straight = (f"{stack.bailian_base_url}/chat/completions", upstream_key)

        def gateway(text: str) -> Timing:
            return read_stream(api, ours[0], body(text), ours[1])

        def direct(text: str) -> Timing:
            return read_stream(upstream, straight[0], body(text), straight[1])

        for _ in range(5):
            gateway(QUESTION)
            direct(QUESTION)
        via_gateway, via_direct = [], []
        for _ in range(calls):  # interleaved, so both see the same machine load
            via_gateway.append(gateway(QUESTION))
            via_direct.append(direct(QUESTION))
        slow = f"{QUESTION} #fault:slow:{slow_ms}"
        slow_direct = direct(slow)
        slow_gateway = gateway(slow)
    return via_gateway, via_direct, slow_gateway, slow_direct


def p(timings: list[Timing], field: str, fraction: float) -> float:
    return percentile([getattr(timing, field) for timing in timings], fraction)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--slow-ms", type=int, default=50, help="the fake's spacing between chunks")
    add_json_argument(parser)
    args = parser.parse_args()

    via_gateway, via_direct, slow_gateway, slow_direct = measure(args.calls, args.slow_ms)

    print(f"\n{'streamed completion':<44} {'p50 ms':>8} {'p95 ms':>8}")
    for label, timings in (("via local gateway", via_gateway), ("straight to the fake", via_direct)):
        for field, name in (("first_token_ms", "time to first token"), ("total_ms", "total time")):
            row = f"{name}, {label}"
            print(f"{row:<44} {p(timings, field, 0.5):>8.2f} {p(timings, field, 0.95):>8.2f}")
    ttft_ratio = p(via_gateway, "first_token_ms", 0.5) / p(via_direct, "first_token_ms", 0.5)
    total_ratio = p(via_gateway, "total_ms", 0.5) / p(via_direct, "total_ms", 0.5)
    print(f"ratios gateway/direct (p50): first token {ttft_ratio:.2f}x, total {total_ratio:.2f}x")

    spread = slow_gateway.span_ms / slow_direct.span_ms
    chunks = len(slow_gateway.arrivals_ms)
    print(f"\nchunks spread over time (fake spacing {args.slow_ms} ms, {chunks} content chunks):")
    print("  arrivals via gateway (ms): " + " ".join(f"{t:.0f}" for t in slow_gateway.arrivals_ms))
    print("  arrivals straight    (ms): " + " ".join(f"{t:.0f}" for t in slow_direct.arrivals_ms))
    print(
        f"  first-to-last span: gateway {slow_gateway.span_ms:.0f} ms"
        f" vs straight {slow_direct.span_ms:.0f} ms"
        f" = {spread:.0%} (floor {SPREAD_FLOOR:.0%}); first token at {slow_gateway.first_token_ms:.0f} ms"
        f" of {slow_gateway.total_ms:.0f} ms"
    )
    write_rows(args.json, summary_rows(via_gateway, via_direct, slow_gateway, slow_direct, args))
    if spread < SPREAD_FLOOR:
        sys.exit(f"chunks arrived bunched: span {spread:.0%} of the generation span < {SPREAD_FLOOR:.0%}")


def summary_rows(via_gateway, via_direct, slow_gateway, slow_direct, args) -> list[Row]:
    calls = f"{args.calls} interleaved streams each"
    spaced = f"{len(slow_gateway.arrivals_ms)} chunks {args.slow_ms} ms apart"
    return [
        Row("streaming", "time to first token p50 (local gateway)", p(via_gateway, "first_token_ms", 0.5),
            "ms", "straight to the fake, p50", p(via_direct, "first_token_ms", 0.5), calls),
        Row("streaming", "total time p50 (local gateway)", p(via_gateway, "total_ms", 0.5), "ms",
            "straight to the fake, p50", p(via_direct, "total_ms", 0.5), calls),
        Row("streaming", "first-to-last chunk span, slow fake", slow_gateway.span_ms, "ms",
            "same stream straight from the fake", slow_direct.span_ms,
            f"{spaced}; >= {SPREAD_FLOOR:.0%} = not buffered"),
    ]  # fmt: skip


if __name__ == "__main__":
    main()
