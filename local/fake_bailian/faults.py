"""The fault markers (in the last user message) and the per-request counters of #fault:<kind>x<N>."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from local.fake_bailian.errors import ERRORS
from local.fake_bailian.request import last_user, text_of

FAULT_KINDS = (*ERRORS, "timeout", "malformed", "disconnect")
_FAULT_RE = re.compile(r"#fault:(" + "|".join(sorted(FAULT_KINDS, key=len, reverse=True)) + r")(?:x(\d+))?")
_STREAM_FAULT_RE = re.compile(r"#fault:(slow|cut-after|error-after|stall-after):(\d+)")


@dataclass(frozen=True)
class Fault:
    kind: str
    times: int | None  # None: every time

    @property
    def marker(self) -> str:
        return f"#fault:{self.kind}" + (f"x{self.times}" if self.times is not None else "")


@dataclass(frozen=True)
class StreamFaults:
    slow_ms: int = 0
    cut_after: int | None = None
    error_after: int | None = None
    stall_after: int | None = None

    @property
    def markers(self) -> str:
        found = [
            ("slow", self.slow_ms or None),
            ("cut-after", self.cut_after),
            ("error-after", self.error_after),
            ("stall-after", self.stall_after),
        ]
        return " ".join(f"#fault:{kind}:{value}" for kind, value in found if value is not None)


def find_fault(messages: list[dict[str, Any]]) -> Fault | None:
    last = last_user(messages)
    if last is None:
        return None
    match = _FAULT_RE.search(text_of(last["content"]))
    if match is None:
        return None
    times = match.group(2)
    return Fault(match.group(1), int(times) if times is not None else None)


def find_stream_faults(messages: list[dict[str, Any]]) -> StreamFaults | None:
    last = last_user(messages)
    found = dict(_STREAM_FAULT_RE.findall(text_of(last["content"]))) if last else {}
    if not found:
        return None
    as_int = {kind: int(value) for kind, value in found.items()}
    return StreamFaults(
        as_int.get("slow", 0), as_int.get("cut-after"), as_int.get("error-after"), as_int.get("stall-after")
    )


class FaultCounter:
    """Failures served so far per distinct request key (thread- and task-safe: no await under the lock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._served: dict[str, int] = {}

    def should_fail(self, key: str, times: int) -> tuple[bool, int]:
        """(fail this time?, failures served including this one). Forgets the key once it answers."""
        with self._lock:
            served = self._served.get(key, 0)
            if served < times:
                self._served[key] = served + 1
                return True, served + 1
            self._served.pop(key, None)
            return False, served

    def reset(self) -> None:
        with self._lock:
            self._served.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._served)
