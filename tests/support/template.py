"""What the tests need from template.yaml (the single source of routes, auth and the table), read
through the local stack's template reader so nothing here re-parses or duplicates it."""

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from local.dynamodb_local import create_table_request
from local.template import Template


@cache
def get() -> Template:
    """template.yaml, read once per process."""
    return Template()


def create_table(client: Any, table_name: str) -> None:
    """Creates the template's table, with its TTL setting, through a boto3 DynamoDB client."""
    definition = get().table
    assert definition is not None, "template.yaml declares no AWS::DynamoDB::Table"
    client.create_table(**create_table_request(table_name, definition.properties))
    ttl = definition.properties.get("TimeToLiveSpecification") or {}
    if ttl.get("Enabled"):
        client.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
        )


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str  # the function's directory under functions/
    protected: bool


def routes() -> list[Route]:
    return [
        Route(
            method=route.method,
            path=route.path,
            function=route.function.code_uri.name,
            protected=route.auth_required,
        )
        for route in get().routes
    ]


def authorizer_function() -> str:
    """The directory name of the API's (single) authorizer function."""
    template = get()
    (authorizer,) = template.authorizers.values()
    return template.functions[authorizer.function_id].code_uri.name


def gateway_response_body(response_type: str) -> dict[str, Any]:
    """The JSON body API Gateway answers with for a gateway response type (e.g. UNAUTHORIZED)."""
    return json.loads(get().gateway_responses[response_type].body)


def gateway_status(response_type: str) -> int:
    return get().gateway_responses[response_type].status_code
