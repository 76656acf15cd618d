"""Ids without a round trip (issue 15.1): time-ordered, exact in JavaScript, and a collision is
written again under a new id, never reused."""

import itertools
import time

import pytest
from bailian_chat.chat import conversations, messages
from bailian_chat.content import TextPart
from bailian_chat.store import dynamodb, ids


def test_ids_are_positive_increasing_and_exact_in_javascript():
    drawn = [ids.new_id("message") for _ in range(10_000)]

    assert drawn == sorted(drawn) and len(set(drawn)) == len(drawn)
    assert all(0 < i <= 2**53 - 1 for i in drawn)


def test_an_id_says_when_it_was_made():
    before = time.time_ns() // 1_000_000
    made = ids.new_id("conversation")
    after = time.time_ns() // 1_000_000

    # Within a process ids only grow, so a burst of draws may run a few ms ahead of the clock.
    assert before <= (made >> ids.RANDOM_BITS) + ids.EPOCH_MS <= after + 50


def test_a_taken_id_is_written_again_with_a_new_one(table, monkeypatch):
    """Two containers that draw the same id: the second write finds it taken and takes the next.
    Messages of two conversations meet on the pointer item, keyed by the message id alone."""
    draws = itertools.chain([7, 7, 8, 20, 20], itertools.count(21))
    monkeypatch.setattr(ids, "new_id", lambda kind: next(draws))
    first = conversations.create(1, "qwen-plus", "first")
    second = conversations.create(1, "qwen-plus", "second")

    sent = messages.send(1, first["conversation_id"], [TextPart(type="text", text="hi")])[0]
    other = messages.send(1, second["conversation_id"], [TextPart(type="text", text="hi")])[0]

    assert (first["conversation_id"], second["conversation_id"]) == (7, 8)
    assert (sent["message_id"], other["message_id"]) == (20, 21)


def test_an_id_that_stays_taken_fails_rather_than_being_reused(table, monkeypatch):
    monkeypatch.setattr(ids, "new_id", lambda kind: 5)
    conversations.create(1, "qwen-plus", "first")

    with pytest.raises(ids.IdTaken):
        conversations.create(1, "qwen-plus", "second")

    assert dynamodb.get_item("CONV#5", "CONV")["title"] == "first"
