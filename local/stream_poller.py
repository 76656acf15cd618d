"""The table's stream, locally: what Lambda's event source mapping does for the template's
`Type: DynamoDB` events. A background thread reads DynamoDB Local's stream (its `dynamodbstreams`
API), keeps the records that match the event's FilterCriteria, and invokes the same function, in
its own worker process with its template environment, in batches of its BatchSize. A batch answer
with batchItemFailures is retried from the first failed record (ReportBatchItemFailures)."""

import asyncio
import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

import boto3
from botocore.config import Config

from local.function_env import LocalOverrides, function_environment
from local.lambda_pool import FunctionPool, InvocationError, WorkerSpec
from local.template import LOCAL_REGION, StreamConsumer, Template

log = logging.getLogger("local.stream")

POLL_SECONDS = 0.2
RETRY_ATTEMPTS = 5


def matches(value: Any, pattern: Any) -> bool:
    """Lambda's event filter rules, the part the template uses: objects match key by key, a list
    holds the accepted values (exact, or {"prefix": ...} / {"exists": bool})."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            matches(value.get(name), rule) if not _is_exists(rule) else _exists_ok(value, name, rule)
            for name, rule in pattern.items()
        )
    if isinstance(pattern, list):
        return any(_accepts(value, rule) for rule in pattern)
    return value == pattern


def _is_exists(rule: Any) -> bool:
    return isinstance(rule, list) and len(rule) == 1 and isinstance(rule[0], dict) and "exists" in rule[0]


def _exists_ok(value: dict, name: str, rule: list) -> bool:
    return (name in value) == bool(rule[0]["exists"])


def _accepts(value: Any, rule: Any) -> bool:
    if isinstance(rule, dict) and "prefix" in rule:
        return isinstance(value, str) and value.startswith(rule["prefix"])
    return value == rule


def wanted(record: dict, patterns: tuple[dict, ...]) -> bool:
    return not patterns or any(matches(record, pattern) for pattern in patterns)


def streams_client(endpoint: str) -> Any:
    return boto3.client(
        "dynamodbstreams",
        endpoint_url=endpoint,
        region_name=LOCAL_REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 2}, connect_timeout=2, read_timeout=30),
    )


class StreamPoller:
    """Feeds the template's stream consumers from DynamoDB Local until stopped."""

    def __init__(
        self,
        endpoint: str,
        stream_arn: str,
        template: Template,
        *,
        overrides: LocalOverrides,
        env_vars: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.streams = streams_client(endpoint)
        self.stream_arn = stream_arn
        self.consumers = template.stream_consumers
        self.specs = [
            WorkerSpec(c.function, function_environment(c.function, overrides=overrides, env_vars=env_vars))
            for c in self.consumers
        ]
        self._iterators: dict[str, str | None] = {}  # shard id -> next iterator (None: closed)
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="stream-poller", daemon=True)

    def start(self) -> "StreamPoller":
        if self.consumers:
            self.thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self.thread.is_alive():
            self.thread.join(timeout=15)

    def _run(self) -> None:
        asyncio.run(self._poll())

    async def _poll(self) -> None:
        pools = [FunctionPool(spec, max_workers=1) for spec in self.specs]
        # Records wait per consumer until a batch is full or its batching window has passed since
        # the first of them, as with Lambda's MaximumBatchingWindowInSeconds.
        pending: list[list[dict]] = [[] for _ in self.consumers]
        since: list[float] = [0.0 for _ in self.consumers]
        try:
            while not self._stop.is_set():
                records = self._read()
                for index, (consumer, pool) in enumerate(zip(self.consumers, pools, strict=True)):
                    chosen = [r for r in records if wanted(r, consumer.filter_patterns)]
                    if chosen and not pending[index]:
                        since[index] = time.monotonic()
                    pending[index].extend(chosen)
                    waited = time.monotonic() - since[index]
                    while pending[index] and (
                        len(pending[index]) >= consumer.batch_size
                        or waited >= consumer.batching_window_seconds
                    ):
                        batch = pending[index][: consumer.batch_size]
                        pending[index] = pending[index][consumer.batch_size :]
                        await self._deliver(consumer, pool, batch)
                if not records:
                    await asyncio.sleep(POLL_SECONDS)
        finally:
            await asyncio.gather(*(pool.close() for pool in pools))

    def _read(self) -> list[dict]:
        """New records of every open shard (shards DynamoDB Local opens later are picked up)."""
        try:
            self._discover_shards()
            records: list[dict] = []
            for shard_id, iterator in list(self._iterators.items()):
                if iterator is None:
                    continue
                response = self.streams.get_records(ShardIterator=iterator, Limit=1000)
                self._iterators[shard_id] = response.get("NextShardIterator")
                records.extend(self._as_lambda_sends(r) for r in response["Records"])
        except Exception:  # DynamoDB Local going away at shutdown, or a hiccup: try again
            if not self._stop.is_set():
                log.exception("reading the table's stream failed")
            time.sleep(POLL_SECONDS)
            return []
        return records

    def _as_lambda_sends(self, record: dict) -> dict:
        """The record as Lambda's event has it: with its stream's ARN, times in epoch seconds
        (boto3 parsed ApproximateCreationDateTime into a datetime)."""
        stream = dict(record["dynamodb"])
        created = stream.get("ApproximateCreationDateTime")
        if created is not None and hasattr(created, "timestamp"):
            stream["ApproximateCreationDateTime"] = int(created.timestamp())
        return {**record, "dynamodb": stream, "eventSourceARN": self.stream_arn}

    def _discover_shards(self) -> None:
        description = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            shard_id = shard["ShardId"]
            if shard_id in self._iterators:
                continue
            self._iterators[shard_id] = self.streams.get_shard_iterator(
                StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]

    async def _deliver(self, consumer: StreamConsumer, pool: FunctionPool, batch: list[dict]) -> None:
        for _ in range(RETRY_ATTEMPTS):
            try:
                result = await pool.invoke({"Records": batch})
            except (InvocationError, TypeError, ValueError) as error:
                log.warning("%s failed on a stream batch: %s", consumer.function.logical_id, error)
                await asyncio.sleep(POLL_SECONDS)
                continue
            failures = (result or {}).get("batchItemFailures") or []
            if not failures:
                return
            failed = {f.get("itemIdentifier") for f in failures}
            first = next((i for i, r in enumerate(batch) if r["dynamodb"].get("SequenceNumber") in failed), 0)
            batch = batch[first:]
            await asyncio.sleep(POLL_SECONDS)
        log.error("%s: dropped %d stream records after retries", consumer.function.logical_id, len(batch))
