"""GET /api/openapi.json and GET /api/docs: the API's OpenAPI 3.1 document and a Swagger UI for
it. Public (no authorizer) and with no table access.

The document is generated from the functions' own resolvers by `python -m local.openapi_document
--write` and shipped next to this file (this function cannot import the other functions). It is
served raw, as application/json: it describes the API, it is not one of its resources, so it is
not wrapped in the {"code","message","data"} envelope.
"""

import functools
import re
from pathlib import Path

import bailian_chat.api  # noqa: F401 -- first: its lean Powertools imports (bailian_chat.lean_imports)
from aws_lambda_powertools import event_handler
from aws_lambda_powertools.event_handler import Response, content_types
from bailian_chat.api.answers import SERVER_ERROR
from bailian_chat.api.app import create_app, lambda_handler

DOCUMENT_PATH = Path(__file__).resolve().parent / "openapi.json"
# Powertools ships Swagger UI's bundle and stylesheet; inlining them keeps the page free of any CDN.
SWAGGER_UI_ASSETS = Path(event_handler.__file__).resolve().parent / "openapi" / "swagger_ui"
NO_CACHE = {"Cache-Control": "no-cache"}

app = create_app(enveloped=False)  # it answers the document and the page themselves


@functools.cache
def openapi_document() -> str:
    return DOCUMENT_PATH.read_text(encoding="utf-8")


@functools.cache
def swagger_ui_page() -> str:
    script = (SWAGGER_UI_ASSETS / "swagger-ui-bundle.min.js").read_text(encoding="utf-8")
    style = (SWAGGER_UI_ASSETS / "swagger-ui.min.css").read_text(encoding="utf-8")
    script = re.sub(r"</(script)", r"<\\/\1", script, flags=re.IGNORECASE)  # cannot end the element early
    return PAGE.replace("/*STYLE*/", style).replace("/*SCRIPT*/", script)


@app.get(
    "/api/openapi.json",
    summary="This OpenAPI document",
    tags=["docs"],
    responses={
        200: {
            "description": "The OpenAPI 3.1 document",
            "content": {
                "application/json": {"schema": {"type": "object", "required": ["openapi", "info", "paths"]}}
            },
        },
        500: {"description": SERVER_ERROR},
    },
)
def handle_openapi_document():
    return Response(200, content_types.APPLICATION_JSON, openapi_document(), headers=NO_CACHE)


@app.get(
    "/api/docs",
    summary="Swagger UI for this document",
    tags=["docs"],
    responses={
        200: {"description": "The Swagger UI page", "content": {"text/html": {"schema": {"type": "string"}}}},
        500: {"description": SERVER_ERROR},
    },
)
def handle_swagger_ui():
    return Response(200, "text/html; charset=utf-8", swagger_ui_page(), headers=NO_CACHE)


# The page loads the document from next to itself (/api/openapi.json, or /<stage>/api/openapi.json
# on the execute-api URL) and points "Try it out" at the origin and base path it was loaded from.
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Bailian Chat API - Swagger UI</title>
  <style>/*STYLE*/</style>
</head>
<body>
  <div id="swagger-ui">
    <p>Loading the OpenAPI document <a href="openapi.json">/api/openapi.json</a> ...</p>
  </div>
  <script>/*SCRIPT*/</script>
  <script>
    (function () {
      var documentUrl = new URL("openapi.json", window.location.href);
      var basePath = documentUrl.pathname.replace(/\\/api\\/openapi\\.json$/, "");
      fetch(documentUrl)
        .then(function (response) { return response.json(); })
        .then(function (spec) {
          spec.servers = [{ url: window.location.origin + basePath, description: "This API" }];
          window.ui = SwaggerUIBundle({
            spec: spec,
            dom_id: "#swagger-ui",
            deepLinking: true,
            docExpansion: "list",
            presets: [SwaggerUIBundle.presets.apis],
            layout: "BaseLayout",
          });
        });
    })();
  </script>
</body>
</html>
"""


handler = lambda_handler(app)
