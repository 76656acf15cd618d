"""The API's own documentation over HTTP: GET /api/openapi.json (the OpenAPI 3.1 document, raw
JSON, not an envelope) and GET /api/docs (Swagger UI), both public."""

import json

import pytest

from local.openapi_document import DOCUMENT_PATH
from local.template import Template

pytestmark = pytest.mark.needs_handlers


def test_openapi_document_is_public_json_openapi_3_1_with_every_route(api):
    response = api.get("/api/openapi.json")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    assert document["openapi"].startswith("3.1.")
    assert "code" not in document  # the document itself, not wrapped in the envelope
    served = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert served == {(route.method, route.path) for route in Template().routes}
    assert document == json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))


def test_swagger_ui_is_public_html_pointing_at_the_document(api):
    response = api.get("/api/docs")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "/api/openapi.json" in response.text
    assert "SwaggerUIBundle" in response.text


@pytest.mark.parametrize("path", ["/api/openapi.json", "/api/docs"])
def test_docs_ignore_a_bad_token(api, path):
    response = api.get(path, headers={"Authorization": "Bearer not-a-token"})

    assert response.status_code == 200


def test_the_document_is_the_one_the_docs_page_loads(api):
    page = api.get("/api/docs").text

    assert 'new URL("openapi.json", window.location.href)' in page
