"""What template.yaml declares, as local/template.py reads it: functions, routes, the authorizer,
gateway responses, CORS, stream consumers and the table."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Function:
    logical_id: str
    code_uri: Path
    handler: str
    runtime: str
    timeout: int
    memory_size: int
    environment: dict[str, str]
    layers: tuple[Path, ...]
    web_adapter: bool = False  # runs a web app behind the Lambda Web Adapter layer (Handler: run.sh)

    @property
    def streams_response(self) -> bool:
        """LWA in response_stream mode: the app's response is streamed back as it is written."""
        mode = self.environment.get("AWS_LWA_INVOKE_MODE", "")
        return self.web_adapter and mode.lower() == "response_stream"


@dataclass(frozen=True)
class Route:
    method: str  # upper case; "ANY" matches every method
    path: str  # the API Gateway resource path, e.g. /api/conversations/{id}
    function: Function
    authorizer: str | None  # name of the Api authorizer guarding the route; None = public
    response_transfer_mode: str = "BUFFERED"  # RESPONSE_STREAM: API Gateway streams the response

    @property
    def streaming(self) -> bool:
        return self.response_transfer_mode == "RESPONSE_STREAM"

    @property
    def auth_required(self) -> bool:
        return self.authorizer is not None

    @property
    def function_id(self) -> str:
        return self.function.logical_id


@dataclass(frozen=True)
class Authorizer:
    name: str
    function_id: str
    payload_type: str  # REQUEST or TOKEN
    identity_headers: tuple[str, ...]


@dataclass(frozen=True)
class GatewayResponse:
    status_code: int
    headers: dict[str, str]
    body: str | None  # the application/json template


@dataclass(frozen=True)
class Cors:
    allow_origin: str
    allow_methods: str | None
    allow_headers: str | None
    max_age: str | None
    allow_credentials: bool

    def preflight_headers(self) -> dict[str, str]:
        headers = {"Access-Control-Allow-Origin": self.allow_origin}
        optional = {
            "Access-Control-Allow-Methods": self.allow_methods,
            "Access-Control-Allow-Headers": self.allow_headers,
            "Access-Control-Max-Age": self.max_age,
        }
        headers.update({name: value for name, value in optional.items() if value})
        if self.allow_credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        return headers


@dataclass(frozen=True)
class StreamConsumer:
    """A function fed by the table's stream (an event of Type DynamoDB)."""

    function: Function
    batch_size: int
    batching_window_seconds: float  # MaximumBatchingWindowInSeconds: how long records gather
    filter_patterns: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class TableDefinition:
    logical_id: str
    properties: dict[str, Any]  # resolved CloudFormation properties
