"""store/concurrent_reads.read_concurrently: the reads run at the same time, results come back in
order, and a failure is raised once every read ended."""

import threading

import pytest
from bailian_chat.store.concurrent_reads import read_concurrently


def test_the_reads_run_at_once_and_answer_in_order():
    meeting = threading.Barrier(3, timeout=5)  # broken (an error) unless all three wait at once

    def call(value: int):
        return lambda: (meeting.wait(), value)[1]

    assert read_concurrently(call(1), call(2), call(3)) == (1, 2, 3)


def test_a_failure_is_raised_after_the_other_reads_ended():
    ended = []

    def slow():
        threading.Event().wait(0.05)
        ended.append("slow")
        return "slow"

    def failing():
        raise RuntimeError("throttled")

    with pytest.raises(RuntimeError, match="throttled"):
        read_concurrently(failing, slow)
    assert ended == ["slow"]


def test_no_reads_or_one_take_no_thread():
    assert read_concurrently() == ()
    assert read_concurrently(threading.get_ident) == (threading.get_ident(),)
