"""The single reader of template.yaml for everything local (gateway, table creation, tests).

Parses the SAM template with CloudFormation's short tags and resolves the intrinsics it uses (and
only those: local/template_intrinsics.py) against the template's Parameters and Conditions plus
local stand-ins for resources (the local table name, fake ARNs), and reads what it declares into
the shapes of local/template_shapes.py, so nothing local duplicates the route table, the auth
setup or the environment.
"""

import json
import re
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

# Re-exported: the local stack, the tooling tests and the benches import them from here.
from local.template_intrinsics import (  # noqa: F401
    INTRINSIC_METHODS,
    LOCAL_ACCOUNT_ID,
    LOCAL_REGION,
    IntrinsicResolver,
    TemplateError,
    env_value,
    load_yaml,
    unquote,
)
from local.template_shapes import (
    Authorizer,
    Cors,
    Function,
    GatewayResponse,
    Route,
    StreamConsumer,
    TableDefinition,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = REPO_ROOT / "template.yaml"
IMPLICIT_API_STAGE = "Prod"  # the stage SAM gives its implicit ServerlessRestApi
# AWS's Lambda Web Adapter layer; locally local.streaming_proxy plays its part.
WEB_ADAPTER_LAYER = re.compile(
    r"^arn:aws[a-z-]*:lambda:[^:]*:753240598075:layer:LambdaAdapterLayer(X86|Arm64):\d+$"
)

# ------------------------------------------------------------------ the template


class Template(IntrinsicResolver):
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
        super().__init__(load_yaml(self.path), parameters or {}, resource_values or {})

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
