"""The API's OpenAPI 3.1 document, generated from the code.

    python -m local.openapi_document            print it
    python -m local.openapi_document --write    regenerate functions/docs/openapi.json (commit it)
    python -m local.openapi_document --check    exit 1 if the committed file is stale

Every function behind a route of template.yaml is imported (under a unique module name, with a
dummy environment: nothing is called) and its Powertools resolver describes its own operations
(`get_openapi_schema`: path and query parameters, request bodies from the handlers' pydantic
models; summary, tags and status codes from the route decorators; the 200 data schema from the
handlers' return types). The per-function documents are merged, then `local.openapi.envelopes`
wraps every answer in the envelope and adds what API Gateway itself may answer, and template.yaml
gives bearer security to the routes behind the authorizer.
"""

import argparse
import contextlib
import copy
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from local.functions import import_handler_module
from local.template import REPO_ROOT, Function, Route, Template

DOCUMENT_PATH = REPO_ROOT / "functions" / "docs" / "openapi.json"
GENERATE_COMMAND = "python -m local.openapi_document --write"
TITLE = "Bailian Chat API"
VERSION = "1.0.0"
DESCRIPTION = """\
Multi-user chat backend for Alibaba Cloud Model Studio (Bailian, Qwen models).

Every response body, errors included, is the envelope `{"code": <int>, "message": <str>, \
"data": <object|null>}` with `code` equal to the HTTP status. Bad input is answered 400 with a \
message naming the field.

Authentication: send `Authorization: Bearer <access_token>` (from `POST /api/auth/login`) on \
every operation that lists the bearerAuth requirement. API Gateway's authorizer answers 401 when \
it is missing, invalid, expired or its session was logged out.

Servers: the local stack (`make dev`) serves the API at its root. The deployed API is served \
under its stage, `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}` (the second \
server below). The Swagger UI at `/api/docs` uses the address it was loaded from.

Generated from the code by `python -m local.openapi_document --write`; do not edit by hand.
"""
SERVERS = [
    {"url": "/", "description": "Relative: the local stack (make dev), or a custom domain without base path"},
    {
        "url": "https://{apiId}.execute-api.{region}.amazonaws.com/{stage}",
        "description": "The deployed API (stage prefix)",
        "variables": {
            "apiId": {"default": "api-id", "description": "The REST API id (stack output ApiUrl)"},
            "region": {"default": "ap-southeast-1"},
            "stage": {"default": "dev", "enum": ["dev", "prod"]},
        },
    },
]
# What Powertools adds for its own 422 answers; ours are 400 envelopes.
POWERTOOLS_ONLY_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")
DUMMY_ENV = {
    "TABLE_NAME": "openapi-document",
    "JWT_SECRET": "openapi-document-generation-only-0123456789abcdef",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


class DocumentError(RuntimeError):
    pass


# ------------------------------------------------------------------ the functions' own documents


@contextlib.contextmanager
def _generation_environment(layers: set[Path]) -> Iterator[None]:
    """The layer on sys.path and a dummy environment for the functions' cold-start code, both
    restored afterwards (the settings cache too, so a test's own settings are not disturbed)."""
    saved_env = {name: os.environ.get(name) for name in DUMMY_ENV}
    added = [str(layer) for layer in sorted(layers) if str(layer) not in sys.path]
    sys.path[:0] = added
    for name, value in DUMMY_ENV.items():
        os.environ.setdefault(name, value)
    try:
        yield
    finally:
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        for entry in added:
            sys.path.remove(entry)
        config = sys.modules.get("bailian_chat.config")
        if config is not None:
            config.get_settings.cache_clear()


def _import_function(function: Function) -> ModuleType:
    module_file, _, _ = function.handler.rpartition(".")
    path = function.code_uri / f"{module_file.replace('.', '/')}.py"
    try:
        module = import_handler_module(path, prefix="_openapi_document")
    except ImportError as error:
        raise DocumentError(f"{function.logical_id}: cannot import {path}") from error
    sys.modules.pop(module.__name__, None)  # only its resolver's schema is wanted
    return module


def function_documents(template: Template) -> dict[str, dict[str, Any]]:
    """{function logical id: the OpenAPI document its resolver generates}, for every function
    behind a route."""
    # The streamed routes' ASGI apps have no resolver: local.openapi.openai_routes states them.
    functions = {route.function_id: route.function for route in template.routes if not route.streaming}
    documents = {}
    for logical_id, function in sorted(functions.items()):
        resolver = getattr(_import_function(function), "app", None)
        if resolver is None or not hasattr(resolver, "get_openapi_json_schema"):
            raise DocumentError(f"{logical_id}: its module has no Powertools resolver named `app`")
        documents[logical_id] = json.loads(resolver.get_openapi_json_schema())
    return documents


def _merge(documents: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    for logical_id, document in documents.items():
        for path, item in (document.get("paths") or {}).items():
            for method, operation in item.items():
                if method in paths.get(path, {}):
                    raise DocumentError(f"{method.upper()} {path} is declared by two functions")
                paths.setdefault(path, {})[method] = operation
        for name, schema in ((document.get("components") or {}).get("schemas") or {}).items():
            if name in schemas and schemas[name] != schema:
                raise DocumentError(f"{logical_id}: component schema {name!r} differs between functions")
            schemas[name] = schema
    return paths, schemas


# ------------------------------------------------------------------ decorating the operations


def _decorate(
    method: str, path: str, operation: dict[str, Any], route: Route | None, components: dict[str, Any]
) -> dict[str, Any]:
    """The function's own operation (summary, tags and responses from its route decorator, the 200
    data schema from its handler's return type) with every answer in the envelope; the envelope
    components it uses are added to `components`."""
    from local.openapi import envelopes, openai_routes

    if openai_routes.is_openai_path(path):  # OpenAI's bodies and errors, not the envelope
        decorated = {
            "tags": [openai_routes.OPENAI_TAG],
            "summary": openai_routes.models_summary(path),
            **{key: value for key, value in operation.items() if key not in ("summary", "tags", "responses")},
            "responses": openai_routes.models_responses(path),
        }
        return _secured(decorated, route)
    decorated = {"tags": operation.get("tags"), "summary": operation.get("summary"), **operation}
    if path in envelopes.RAW_PATHS:
        decorated["responses"] = envelopes.raw_responses(operation["responses"])
    else:
        try:
            responses, envelope = envelopes.enveloped_responses(
                operation["responses"], has_body="requestBody" in operation
            )
        except ValueError as error:
            raise DocumentError(f"{method.upper()} {path} {error}") from error
        decorated["responses"] = responses
        components.update(envelope)
    example = envelopes.REQUEST_EXAMPLES.get((method.upper(), path))
    if example is not None and "requestBody" in decorated:
        body = copy.deepcopy(decorated["requestBody"])
        body["content"]["application/json"]["example"] = example
        decorated["requestBody"] = body
    return _secured(decorated, route)


def _secured(operation: dict[str, Any], route: Route | None) -> dict[str, Any]:
    from local.openapi import envelopes

    if route is not None and route.auth_required:
        operation["security"] = [{envelopes.BEARER_SCHEME: []}]
    else:
        operation.pop("security", None)
    return operation


def _streamed_operations(template: Template) -> tuple[dict[str, Any], dict[str, Any], set[int]]:
    """The ASGI routes' operations (paths, schemas, envelope error codes), secured per template."""
    if not any(route.streaming for route in template.routes):
        return {}, {}, set()
    from bailian_chat.chat import openai_chat, reply_streams

    from local.openapi import openai_routes

    paths, schemas, codes = openai_routes.asgi_operations(
        openai_chat.OpenAIChatRequest, reply_streams.StreamSendRequest
    )
    routes = {(route.method.lower(), route.path): route for route in template.routes if route.streaming}
    if {(m, p) for p, item in paths.items() for m in item} != set(routes):
        raise DocumentError("the streamed routes of template.yaml and local.openapi.openai_routes differ")
    for path, item in paths.items():
        for method, operation in item.items():
            _secured(operation, routes[(method, path)])
    return paths, schemas, codes


def _referenced(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            yield ref.rsplit("/", 1)[1]
        for value in node.values():
            yield from _referenced(value)
    elif isinstance(node, list):
        for value in node:
            yield from _referenced(value)


def _used_schemas(paths: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """Only the schemas the operations reference (directly or through other schemas), sorted."""
    used: set[str] = set()
    pending = list(_referenced(paths))
    while pending:
        name = pending.pop()
        if name in used:
            continue
        if name not in schemas:
            raise DocumentError(f"#/components/schemas/{name} is referenced but not defined")
        used.add(name)
        pending.extend(_referenced(schemas[name]))
    return {name: schemas[name] for name in sorted(used)}


def build_document(template: Template | None = None) -> dict[str, Any]:
    template = template or Template()
    with _generation_environment({layer for f in template.functions.values() for layer in f.layers}):
        from local.openapi import envelopes, openai_routes  # the layer is on sys.path only now

        paths, schemas = _merge(function_documents(template))

        routes = {(route.method, route.path): route for route in template.routes}
        decorated_paths: dict[str, dict[str, Any]] = {}
        envelope_components: dict[str, Any] = {}
        codes: set[int] = set()
        for path in sorted(paths):
            for method in HTTP_METHODS:
                if method not in paths[path]:
                    continue
                route = routes.get((method.upper(), path))
                operation = _decorate(method, path, paths[path][method], route, envelope_components)
                decorated_paths.setdefault(path, {})[method] = operation
                if not openai_routes.is_openai_path(path):
                    codes.update(int(code) for code in operation["responses"] if code != "200")
        streamed_paths, streamed_schemas, streamed_codes = _streamed_operations(template)
        for name in POWERTOOLS_ONLY_SCHEMAS:
            schemas.pop(name, None)
        decorated_paths = dict(sorted({**decorated_paths, **streamed_paths}.items()))
        codes |= streamed_codes
        schemas.update(streamed_schemas)
        schemas.update(openai_routes.SCHEMAS)
        for name, schema in {**envelope_components, **envelopes.error_components(codes)}.items():
            if name in schemas and schemas[name] != schema:
                raise DocumentError(f"response schema {name!r} clashes with a request schema of that name")
            schemas[name] = schema
        tags = copy.deepcopy([*envelopes.TAGS, openai_routes.TAG])
        security_schemes = {envelopes.BEARER_SCHEME: dict(envelopes.BEARER_SECURITY_SCHEME)}
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION, "description": DESCRIPTION},
        "servers": copy.deepcopy(SERVERS),
        "tags": tags,
        "paths": _integral_bounds(decorated_paths),
        "components": {
            "schemas": _integral_bounds(_used_schemas(decorated_paths, schemas)),
            "securitySchemes": security_schemes,
        },
    }


BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


def _integral_bounds(node: Any) -> Any:
    """Powertools' OpenAPI model reads every bound as a float (1.0); an integer's bounds are integers."""
    if isinstance(node, dict):
        return {
            key: int(value)
            if key in BOUNDS and isinstance(value, float) and value.is_integer()
            else _integral_bounds(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_integral_bounds(value) for value in node]
    return node


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.openapi_document", description=__doc__.split("\n")[0]
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help=f"write {DOCUMENT_PATH.relative_to(REPO_ROOT)}")
    action.add_argument("--check", action="store_true", help="exit 1 if the committed document is stale")
    args = parser.parse_args(argv)
    text = render(build_document())
    relative = DOCUMENT_PATH.relative_to(REPO_ROOT)
    if args.write:
        DOCUMENT_PATH.write_text(text, encoding="utf-8")
        print(f"wrote {relative}", file=sys.stderr)
    elif args.check:
        current = DOCUMENT_PATH.read_text(encoding="utf-8") if DOCUMENT_PATH.exists() else ""
        if current != text:
            print(f"{relative} is stale: run `{GENERATE_COMMAND}` and commit it", file=sys.stderr)
            return 1
        print(f"{relative} is up to date", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
