"""store/parallel_calls.run_together: the calls run at the same time, results come back in order,
and a failure is raised once every call ended."""

import threading

import pytest
from bailian_chat.store import parallel_calls


def test_the_calls_run_together_and_answer_in_order():
    meeting = threading.Barrier(3, timeout=5)  # broken (an error) unless all three wait at once

    def call(value: int):
        return lambda: (meeting.wait(), value)[1]

    assert parallel_calls.run_together([call(1), call(2), call(3)]) == [1, 2, 3]


def test_a_failure_is_raised_after_the_other_calls_ended():
    ended = []

    def slow():
        threading.Event().wait(0.05)
        ended.append("slow")
        return "slow"

    def failing():
        raise RuntimeError("throttled")

    with pytest.raises(RuntimeError, match="throttled"):
        parallel_calls.run_together([failing, slow])
    assert ended == ["slow"]


def test_no_calls_or_one_take_no_thread():
    assert parallel_calls.run_together([]) == []
    assert parallel_calls.run_together([threading.get_ident]) == [threading.get_ident()]
