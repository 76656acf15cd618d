"""The local stand-in for Lambda's stream event source (local/stream_poller.py): the template's
stream consumers and their FilterCriteria, as the poller applies them to DynamoDB Local's records."""

import pytest

from local.stream_poller import matches, wanted
from local.template import Template


@pytest.fixture(scope="module")
def consumers() -> dict:
    return {c.function.logical_id: c for c in Template().stream_consumers}


def record(event: str, pk: str, sk: str, new: dict | None = None) -> dict:
    stream = {"Keys": {"PK": {"S": pk}, "SK": {"S": sk}}, "SequenceNumber": "1"}
    if new is not None:
        stream["NewImage"] = {"PK": {"S": pk}, "SK": {"S": sk}, **new}
    return {"eventID": "e", "eventName": event, "dynamodb": stream}


ROLLUP = record("MODIFY", "USER#1#DAILY", "2026-03-01#qwen-plus", {"item_type": {"S": "user_daily"}})
PROFILE_CREATED = record("INSERT", "USER#1", "PROFILE", {"user_id": {"N": "1"}})
PROFILE_DELETED = record("REMOVE", "USER#1", "PROFILE")
PROFILE_LOGIN = record("MODIFY", "USER#1", "PROFILE", {"last_login_at": {"S": "x"}})
PROFILE_DELETING = record("MODIFY", "USER#1", "PROFILE", {"deleting_at": {"N": "5"}})
MESSAGE = record("INSERT", "CONV#1", "MSG#0000000000000001", {"role": {"S": "user"}})


def test_the_template_declares_both_consumers(consumers):
    assert set(consumers) == {"UsageAggregatorFunction", "AccountPurgeFunction"}
    assert consumers["UsageAggregatorFunction"].batch_size == 100
    assert consumers["AccountPurgeFunction"].batch_size == 1


def test_the_aggregator_gets_rollups_and_account_creations_and_deletions(consumers):
    patterns = consumers["UsageAggregatorFunction"].filter_patterns
    assert [wanted(r, patterns) for r in (ROLLUP, PROFILE_CREATED, PROFILE_DELETED)] == [True] * 3
    assert [wanted(r, patterns) for r in (PROFILE_LOGIN, PROFILE_DELETING, MESSAGE)] == [False] * 3


def test_the_purge_gets_only_profiles_marked_deleting(consumers):
    patterns = consumers["AccountPurgeFunction"].filter_patterns
    assert wanted(PROFILE_DELETING, patterns)
    assert not any(wanted(r, patterns) for r in (ROLLUP, PROFILE_CREATED, PROFILE_DELETED, PROFILE_LOGIN))


def test_filter_rules():
    assert matches({"a": "x"}, {"a": ["x", "y"]})
    assert not matches({"a": "z"}, {"a": ["x", "y"]})
    assert matches({"a": "prefix-1"}, {"a": [{"prefix": "prefix-"}]})
    assert matches({"a": {"N": "1"}}, {"a": {"N": [{"exists": True}]}})
    assert not matches({"a": {}}, {"a": {"N": [{"exists": True}]}})
    assert matches({"b": 1}, {"a": [{"exists": False}]})
    assert wanted({"anything": 1}, ())  # no filter: every record
