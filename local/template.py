"""The single reader of template.yaml for everything local (gateway, table creation, tests).

Parses the SAM template with CloudFormation's short tags and resolves the intrinsics it uses (and
only those: INTRINSIC_METHODS; any other is a TemplateError) against the template's Parameters and
Conditions plus local stand-ins for resources (the local table name, fake ARNs), so nothing local
duplicates the route table, the auth setup or the environment.
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = REPO_ROOT / "template.yaml"

LOCAL_REGION = "us-east-1"
LOCAL_ACCOUNT_ID = "123456789012"
PSEUDO_PARAMETERS = {"AWS::Region": LOCAL_REGION}  # the only one template.yaml reads (and AWS::NoValue)
IMPLICIT_API_STAGE = "Prod"  # the stage SAM gives its implicit ServerlessRestApi
# AWS's Lambda Web Adapter layer; locally local.streaming_proxy plays its part.
WEB_ADAPTER_LAYER = re.compile(
    r"^arn:aws[a-z-]*:lambda:[^:]*:753240598075:layer:LambdaAdapterLayer(X86|Arm64):\d+$"
)

# The intrinsics template.yaml uses, and so the only ones evaluated: an unknown one is a TemplateError
# rather than a guess (tests/tooling/test_local_template.py checks the template against this list).
INTRINSIC_METHODS = {
    "Ref": "_ref",
    "Fn::GetAtt": "_get_att",
    "Fn::Sub": "_sub",
    "Fn::If": "_if",
    "Fn::Equals": "_equals",
    "Fn::Not": "_not",
}

# AWS::NoValue removes the property it is assigned to.
_NO_VALUE = object()


class TemplateError(ValueError):
    """The template uses something the local stack cannot resolve or serve."""


# ------------------------------------------------------------------ YAML with CloudFormation tags


class _CfnLoader(yaml.SafeLoader):
    pass


def _construct_short_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if name == "Fn::GetAtt" and isinstance(value, str):
        value = value.split(".", 1)  # !GetAtt Res.Attr is the short form of [Res, Attr]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_short_tag)


def load_yaml(path: Path) -> dict[str, Any]:
    """Load a CloudFormation/SAM YAML file; short tags become their long-form dicts."""
    with open(path, encoding="utf-8") as stream:
        return yaml.load(stream, Loader=_CfnLoader)


# ------------------------------------------------------------------ what the template declares


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


def unquote(value: str) -> str:
    """SAM wants header values as quoted literals ("'http://x'"); the HTTP value has no quotes."""
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    return value


def env_value(value: Any) -> str:
    """Lambda environment values are strings; CloudFormation turns YAML scalars into their text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ------------------------------------------------------------------ the template


class Template:
    """template.yaml, with intrinsics resolved for the local stack.

    parameters: overrides of the template Parameters' defaults.
    resource_values: local stand-ins for resources: {"Table": "<local table>"} answers !Ref Table,
        {"Table.Arn": "..."} answers !GetAtt Table.Arn. Other Refs resolve to the logical id and
        other GetAtts to a fake ARN.
    """

    def __init__(
        self,
        path: Path | str = TEMPLATE_PATH,
        *,
        parameters: Mapping[str, str] | None = None,
        resource_values: Mapping[str, str] | None = None,
    ) -> None:
        self.path = Path(path).resolve()
        self.root = self.path.parent
        self.raw = load_yaml(self.path)
        self.resources: dict[str, dict[str, Any]] = self.raw.get("Resources") or {}
        self.resource_values = dict(resource_values or {})
        self.parameters = self._parameter_values(parameters or {})
        self._conditions: dict[str, bool] = {}

    # ---------------------------------------------------------------- intrinsics

    def resolve(self, node: Any) -> Any:
        """Resolve every intrinsic function inside node (dicts and lists recursively)."""
        if isinstance(node, dict):
            if len(node) == 1:
                ((key, arg),) = node.items()
                if key == "Ref" or key == "Condition" or key.startswith("Fn::"):
                    return self._intrinsic(key, arg)
            resolved = {key: self.resolve(value) for key, value in node.items()}
            return {key: value for key, value in resolved.items() if value is not _NO_VALUE}
        if isinstance(node, list):
            return [value for value in map(self.resolve, node) if value is not _NO_VALUE]
        return node

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            conditions = self.raw.get("Conditions") or {}
            if name not in conditions:
                raise TemplateError(f"unknown condition {name!r}")
            self._conditions[name] = bool(self.resolve(conditions[name]))
        return self._conditions[name]

    def _intrinsic(self, name: str, arg: Any) -> Any:
        if name not in INTRINSIC_METHODS:
            raise TemplateError(
                f"{name} is not supported by the local stack: it evaluates only the intrinsics "
                f"template.yaml uses ({', '.join(INTRINSIC_METHODS)}); teach local/template.py the new one"
            )
        return getattr(self, INTRINSIC_METHODS[name])(arg)

    def _equals(self, arg: list[Any]) -> bool:
        return env_value(self.resolve(arg[0])) == env_value(self.resolve(arg[1]))

    def _not(self, arg: list[Any]) -> bool:
        return not self.resolve(arg[0])

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        for source in (self.parameters, PSEUDO_PARAMETERS, self.resource_values):
            if name in source:
                return source[name]
        if name in self.resources:
            return name  # what SAM local answers for a resource with no local stand-in
        raise TemplateError(f"!Ref {name}: no such parameter or resource")

    def _get_att(self, arg: list[str]) -> str:
        logical_id, attribute = self.resolve(arg)
        key = f"{logical_id}.{attribute}"
        if key in self.resource_values:
            return self.resource_values[key]
        if logical_id not in self.resources:
            raise TemplateError(f"!GetAtt {key}: no such resource")
        return self.fake_arn(logical_id) if attribute == "Arn" else key

    def fake_arn(self, logical_id: str) -> str:
        resource_type = self.resources[logical_id].get("Type", "")
        service = "lambda" if resource_type == "AWS::Serverless::Function" else resource_type.split("::")[1]
        return f"arn:aws:{service.lower()}:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:{logical_id}"

    def _sub(self, text: Any) -> str:
        if not isinstance(text, str):
            raise TemplateError("Fn::Sub: only the string form is supported (template.yaml uses no other)")

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if "." in name:
                return env_value(self._get_att(name.split(".", 1)))
            return env_value(self._ref(name))

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def _if(self, arg: list[Any]) -> Any:
        condition_name, when_true, when_false = arg
        return self.resolve(when_true if self.condition(condition_name) else when_false)

    def _parameter_values(self, overrides: Mapping[str, str]) -> dict[str, Any]:
        declared = self.raw.get("Parameters") or {}
        unknown = set(overrides) - set(declared)
        if unknown:
            raise TemplateError(f"unknown template parameters: {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for name, spec in declared.items():
            if name not in overrides and "Default" not in spec:
                continue  # an error only if something Refs it
            value = env_value(overrides.get(name, spec.get("Default")))
            allowed = spec.get("AllowedValues")
            if allowed and value not in [env_value(item) for item in allowed]:
                raise TemplateError(f"parameter {name}={value!r} is not one of {allowed}")
            list_type = spec.get("Type", "").startswith(("CommaDelimitedList", "List<"))
            values[name] = value.split(",") if list_type else value
        return values

    # ---------------------------------------------------------------- functions

    def _resources_of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.resources.items()
            if resource.get("Type") == resource_type
        }

    @cached_property
    def functions(self) -> dict[str, Function]:
        return {
            logical_id: self._function(logical_id, resource.get("Properties") or {})
            for logical_id, resource in self._resources_of_type("AWS::Serverless::Function").items()
        }

    def _function(self, logical_id: str, properties: dict[str, Any]) -> Function:
        globals_ = (self.raw.get("Globals") or {}).get("Function") or {}

        def setting(name: str, default: Any = None) -> Any:
            return self.resolve(properties.get(name, globals_.get(name, default)))

        code_uri = setting("CodeUri")
        if not isinstance(code_uri, str):
            raise TemplateError(f"{logical_id}: CodeUri must be a local directory to run locally")
        layer_refs = [*(globals_.get("Layers") or []), *(properties.get("Layers") or [])]
        adapter_layers = [ref for ref in layer_refs if self._is_web_adapter_layer(ref)]
        layer_refs = [ref for ref in layer_refs if ref not in adapter_layers]
        environment = self._function_environment(globals_, properties)
        return Function(
            logical_id=logical_id,
            code_uri=(self.root / code_uri).resolve(),
            handler=setting("Handler"),
            runtime=setting("Runtime", ""),
            timeout=int(setting("Timeout", 3)),
            memory_size=int(setting("MemorySize", 128)),
            environment=environment,
            layers=tuple(self._layer_dir(ref) for ref in layer_refs),
            web_adapter=bool(adapter_layers)
            and environment.get("AWS_LAMBDA_EXEC_WRAPPER") == "/opt/bootstrap",
        )

    def _is_web_adapter_layer(self, layer_ref: Any) -> bool:
        if isinstance(layer_ref, dict) and "Ref" in layer_ref:
            return False
        arn = self.resolve(layer_ref)
        return isinstance(arn, str) and WEB_ADAPTER_LAYER.match(arn) is not None

    def _function_environment(self, globals_: dict[str, Any], properties: dict[str, Any]) -> dict[str, str]:
        variables = {
            **((globals_.get("Environment") or {}).get("Variables") or {}),
            **((properties.get("Environment") or {}).get("Variables") or {}),
        }
        resolved = self.resolve(variables)
        return {name: env_value(value) for name, value in resolved.items()}

    def _layer_dir(self, layer_ref: Any) -> Path:
        logical_id = layer_ref.get("Ref") if isinstance(layer_ref, dict) else None
        layer = self.resources.get(logical_id or "")
        if not layer or layer.get("Type") != "AWS::Serverless::LayerVersion":
            raise TemplateError(f"layer {layer_ref!r}: only layers defined in this template run locally")
        content_uri = self.resolve(layer["Properties"]["ContentUri"])
        return (self.root / content_uri).resolve()

    # ---------------------------------------------------------------- the API

    @cached_property
    def api_logical_id(self) -> str | None:
        apis = self._resources_of_type("AWS::Serverless::Api")
        if len(apis) > 1:
            raise TemplateError("the local gateway serves one AWS::Serverless::Api per template")
        return next(iter(apis), None)

    @cached_property
    def api_properties(self) -> dict[str, Any]:
        """The Api's properties over Globals.Api, unresolved (callers resolve what they read)."""
        globals_ = (self.raw.get("Globals") or {}).get("Api") or {}
        own = self.resources[self.api_logical_id]["Properties"] if self.api_logical_id else {}
        return {**globals_, **(own or {})}

    @cached_property
    def stage(self) -> str:
        return self.resolve(self.api_properties.get("StageName", IMPLICIT_API_STAGE))

    @cached_property
    def routes(self) -> list[Route]:
        routes = []
        for function_id, resource in self._resources_of_type("AWS::Serverless::Function").items():
            events = (resource.get("Properties") or {}).get("Events") or {}
            for event_name, event in events.items():
                if event.get("Type") == "Api":
                    routes.append(self._route(function_id, event_name, event.get("Properties") or {}))
        return routes

    def _route(self, function_id: str, event_name: str, properties: dict[str, Any]) -> Route:
        rest_api = properties.get("RestApiId")
        if rest_api is not None and rest_api != {"Ref": self.api_logical_id}:
            raise TemplateError(f"{function_id}.{event_name}: RestApiId must reference the template's Api")
        method = self.resolve(properties["Method"]).upper()
        authorizer = (self.api_properties.get("Auth") or {}).get("DefaultAuthorizer")
        event_auth = properties.get("Auth") or {}
        if "Authorizer" in event_auth:
            authorizer = event_auth["Authorizer"]
        transfer_mode = self.resolve(properties.get("ResponseTransferMode", "BUFFERED"))
        function = self.functions[function_id]
        if transfer_mode == "RESPONSE_STREAM" and not function.streams_response:
            raise TemplateError(
                f"{function_id}.{event_name}: a RESPONSE_STREAM route needs a function that streams "
                "(the Lambda Web Adapter layer with AWS_LWA_INVOKE_MODE=response_stream)"
            )
        return Route(
            method="ANY" if method in ("ANY", "X-AMAZON-APIGATEWAY-ANY-METHOD") else method,
            path=self.resolve(properties["Path"]),
            function=function,
            authorizer=None if authorizer in (None, "NONE") else authorizer,
            response_transfer_mode=transfer_mode,
        )

    @cached_property
    def authorizers(self) -> dict[str, Authorizer]:
        configured = (self.api_properties.get("Auth") or {}).get("Authorizers") or {}
        return {name: self._authorizer(name, spec) for name, spec in configured.items()}

    def _authorizer(self, name: str, spec: dict[str, Any]) -> Authorizer:
        function_arn = spec.get("FunctionArn")
        if isinstance(function_arn, dict) and "Fn::GetAtt" in function_arn:
            function_id = function_arn["Fn::GetAtt"][0]
        elif isinstance(function_arn, dict) and str(function_arn.get("Ref", "")).endswith(".Alias"):
            function_id = function_arn["Ref"].removesuffix(".Alias")  # SAM's !Ref <Function>.Alias
        else:
            raise TemplateError(
                f"authorizer {name}: FunctionArn must be !GetAtt <Function>.Arn or !Ref <Function>.Alias"
            )
        if function_id not in self.functions:
            raise TemplateError(f"authorizer {name}: {function_id} is not a function of this template")
        identity = self.resolve(spec.get("Identity") or {})
        payload_type = self.resolve(spec.get("FunctionPayloadType", "TOKEN"))
        # SAM's TOKEN authorizers read Authorization unless Identity.Header says otherwise.
        token_header = [identity.get("Header", "Authorization")] if payload_type == "TOKEN" else []
        return Authorizer(
            name=name,
            function_id=function_id,
            payload_type=payload_type,
            identity_headers=tuple(identity.get("Headers") or token_header),
        )

    def authorizer_for(self, route: Route) -> Authorizer | None:
        if route.authorizer is None:
            return None
        if route.authorizer not in self.authorizers:
            raise TemplateError(f"route {route.method} {route.path}: unknown authorizer {route.authorizer}")
        return self.authorizers[route.authorizer]

    @cached_property
    def gateway_responses(self) -> dict[str, GatewayResponse]:
        configured = self.resolve(self.api_properties.get("GatewayResponses") or {})
        return {response_type: self._gateway_response(spec) for response_type, spec in configured.items()}

    @staticmethod
    def _gateway_response(spec: dict[str, Any]) -> GatewayResponse:
        headers = (spec.get("ResponseParameters") or {}).get("Headers") or {}
        templates = spec.get("ResponseTemplates") or {}
        return GatewayResponse(
            status_code=int(spec["StatusCode"]) if "StatusCode" in spec else 0,
            headers={name: unquote(env_value(value)) for name, value in headers.items()},
            body=templates.get("application/json"),
        )

    @cached_property
    def cors(self) -> Cors | None:
        configured = self.resolve(self.api_properties.get("Cors"))
        if configured is None:
            return None
        if isinstance(configured, str):  # the short form is just the origin
            configured = {"AllowOrigin": configured}

        def value(name: str) -> str | None:
            return unquote(env_value(configured[name])) if name in configured else None

        return Cors(
            allow_origin=value("AllowOrigin") or "*",
            allow_methods=value("AllowMethods"),
            allow_headers=value("AllowHeaders"),
            max_age=value("MaxAge"),
            allow_credentials=bool(configured.get("AllowCredentials", False)),
        )

    # ---------------------------------------------------------------- data

    @cached_property
    def table(self) -> TableDefinition | None:
        tables = self._resources_of_type("AWS::DynamoDB::Table")
        if len(tables) > 1:
            raise TemplateError("the local stack creates one AWS::DynamoDB::Table per template")
        for logical_id, resource in tables.items():
            return TableDefinition(logical_id, self.resolve(resource.get("Properties") or {}))
        return None

    @cached_property
    def stream_consumers(self) -> list[StreamConsumer]:
        consumers = []
        for function_id, resource in self._resources_of_type("AWS::Serverless::Function").items():
            for event in ((resource.get("Properties") or {}).get("Events") or {}).values():
                if event.get("Type") != "DynamoDB":
                    continue
                properties = event.get("Properties") or {}
                filters = (properties.get("FilterCriteria") or {}).get("Filters") or []
                consumers.append(
                    StreamConsumer(
                        function=self.functions[function_id],
                        batch_size=int(self.resolve(properties.get("BatchSize", 100))),
                        batching_window_seconds=float(
                            self.resolve(properties.get("MaximumBatchingWindowInSeconds", 0))
                        ),
                        filter_patterns=tuple(json.loads(self.resolve(f["Pattern"])) for f in filters),
                    )
                )
        return consumers
