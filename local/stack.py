"""The whole local stack as one context manager: DynamoDB Local, the template's table and the local
API gateway (uvicorn in a background thread), on free ports unless told otherwise. `make dev`
(local.dev) and the e2e tests both run it."""

import contextlib
import os
import secrets
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Self

from local import fake_bailian
from local.dynamodb_local import DynamoDBLocal, DynamoDBLocalError, ensure_table, stream_arn
from local.function_env import load_env_vars_file, local_overrides
from local.gateway import DEFAULT_MAX_WORKERS, build_app

# AsgiServer, PortInUseError, free_port: also imported from here by dev, sam_local, tests and benches.
from local.http_server import AsgiServer, PortInUseError, bind_socket, free_port  # noqa: F401
from local.stream_poller import StreamPoller
from local.template import TEMPLATE_PATH, Template

DEFAULT_TABLE_NAME = "bailian-chat-local"


DYNAMODB_LOCAL_PORT_ATTEMPTS = 3


@contextlib.contextmanager
def run_dynamodb_local(
    host: str = "127.0.0.1", port: int = 0, *, data_dir: Path | None = None
) -> Iterator[DynamoDBLocal]:
    """DynamoDB Local on `port`, or on a free one when 0. Java cannot take a bound socket and
    DynamoDB Local refuses port 0, so a free port is handed over by number, and between our check
    and java's bind another process can take it (an outgoing connection's ephemeral port, another
    stack starting): java then exits with a BindException and we start it again on a new port."""
    for attempt in range(1, DYNAMODB_LOCAL_PORT_ATTEMPTS + 1):
        server = DynamoDBLocal(free_port(host, port), data_dir=data_dir)
        try:
            server.start()
        except DynamoDBLocalError as error:
            if port or attempt == DYNAMODB_LOCAL_PORT_ATTEMPTS or not _lost_its_port(error):
                raise
            continue
        try:
            yield server
        finally:
            server.stop()
        return


def _lost_its_port(error: DynamoDBLocalError) -> bool:
    """Java's own words (the error carries the tail of its output) for a port someone else holds."""
    return "BindException" in str(error) or "Address already in use" in str(error)


def start_fake_bailian(
    resources: contextlib.ExitStack, host: str, *, timeout_delay_seconds: float = 35.0
) -> dict[str, str | None]:
    """Starts the fake Bailian (local/fake_bailian/) on a free port unless DASHSCOPE_API_KEY is
    set, and returns the environment that points the functions at it (or at the real upstream)."""
    real_key = os.environ.get("DASHSCOPE_API_KEY")
    if real_key:
        upstream = os.environ.get("BAILIAN_BASE_URL")
        return {
            "DASHSCOPE_API_KEY": real_key,
            "BAILIAN_API_KEY_SECRET_ARN": None,
            **({"BAILIAN_BASE_URL": upstream} if upstream else {}),
        }
    fake_key = "sk-fake-" + secrets.token_hex(12)
    server = resources.enter_context(
        fake_bailian.serve(host, 0, fake_key, timeout_delay_seconds=timeout_delay_seconds)
    )
    return {
        "BAILIAN_BASE_URL": server.base_url,
        "DASHSCOPE_API_KEY": fake_key,
        "BAILIAN_API_KEY_SECRET_ARN": None,
    }


class LocalStack:
    """DynamoDB Local (in memory unless data_dir) + table + gateway; use as a context manager."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        dynamodb_port: int = 0,
        data_dir: Path | None = None,
        table_name: str = DEFAULT_TABLE_NAME,
        jwt_secret: str | None = None,
        env_vars: Path | Mapping[str, Mapping[str, str]] | None = None,
        template_path: Path = TEMPLATE_PATH,
        parameters: Mapping[str, str] | None = None,
        max_workers: int = DEFAULT_MAX_WORKERS,
        prewarm: bool = False,
        fake_bailian: bool = True,
        fake_bailian_timeout_delay: float = 35.0,
    ) -> None:
        self.host = host
        self.port = port
        self.dynamodb_port = dynamodb_port
        self.data_dir = data_dir
        self.table_name = table_name
        self.jwt_secret = jwt_secret or secrets.token_urlsafe(48)
        self.env_vars = load_env_vars_file(env_vars) if isinstance(env_vars, Path) else env_vars
        self.template = Template(template_path, parameters=parameters, resource_values={"Table": table_name})
        self.max_workers = max_workers
        self.prewarm = prewarm
        self.fake_bailian = fake_bailian
        self.fake_bailian_timeout_delay = fake_bailian_timeout_delay
        self.bailian_base_url: str | None = None
        self.bailian_api_key: str | None = None
        self._resources = contextlib.ExitStack()
        self.dynamodb: DynamoDBLocal | None = None
        self.gateway: AsgiServer | None = None

    @property
    def base_url(self) -> str:
        assert self.gateway is not None, "the stack is not running"
        return self.gateway.base_url

    @property
    def dynamodb_endpoint(self) -> str:
        assert self.dynamodb is not None, "the stack is not running"
        return self.dynamodb.endpoint

    def __enter__(self) -> Self:
        with contextlib.ExitStack() as resources:
            # Bind the gateway's port first: a taken port fails before java starts.
            gateway_socket = resources.enter_context(bind_socket(self.host, self.port))
            self.dynamodb = resources.enter_context(
                run_dynamodb_local(self.host, self.dynamodb_port, data_dir=self.data_dir)
            )
            ensure_table(self.dynamodb.endpoint, self.table_name, self.template)
            overrides: dict[str, str | None] = local_overrides(
                dynamodb_endpoint=self.dynamodb.endpoint,
                table_name=self.table_name,
                jwt_secret=self.jwt_secret,
            )
            if self.fake_bailian:
                bailian = start_fake_bailian(
                    resources, self.host, timeout_delay_seconds=self.fake_bailian_timeout_delay
                )
                overrides.update(bailian)
                self.bailian_base_url = bailian.get("BAILIAN_BASE_URL")
                self.bailian_api_key = bailian.get("DASHSCOPE_API_KEY")
            self._start_stream_poller(resources, overrides)
            app = build_app(
                self.template,
                overrides=overrides,
                env_vars=self.env_vars,
                max_workers=self.max_workers,
                prewarm=self.prewarm,
            )
            self.gateway = resources.enter_context(AsgiServer(app, sock=gateway_socket))
            self._resources = resources.pop_all()
        return self

    def _start_stream_poller(self, resources: contextlib.ExitStack, overrides: dict[str, str | None]) -> None:
        """The stream consumers (the usage aggregator) run locally too, fed from DynamoDB Local."""
        assert self.dynamodb is not None
        arn = stream_arn(self.dynamodb.endpoint, self.table_name)
        if arn is None or not self.template.stream_consumers:
            return
        poller = StreamPoller(
            self.dynamodb.endpoint, arn, self.template, overrides=overrides, env_vars=self.env_vars
        )
        resources.callback(poller.stop)
        poller.start()

    def __exit__(self, *exc_info: object) -> None:
        self._resources.close()
