"""GET /v1/models and GET /v1/models/{model}: the configured models in OpenAI's shapes, with what
each accepts; errors in OpenAI's `{"error": {...}}` shape with the real status."""

import pytest

from tests.support.events import HandlerResponse, LambdaContext, api_event

AUTHORIZED = {"user_id": "1", "session_id": "s-1", "principalId": "1"}


@pytest.fixture
def models(load_function):
    module = load_function("v1_models")

    def get(path: str, authorizer=AUTHORIZED) -> HandlerResponse:
        event = api_event("GET", path, authorizer=authorizer)
        return HandlerResponse.from_result(module.handler(event, LambdaContext(function_name="v1_models")))

    return get


def test_the_list_is_the_configured_models_in_openai_shape(models, unit_env):
    unit_env(ALLOWED_MODELS="qwen-plus,qwen3-vl-plus,qwq-plus")
    response = models("/v1/models")
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.body["object"] == "list"
    assert [model["id"] for model in response.body["data"]] == ["qwen-plus", "qwen3-vl-plus", "qwq-plus"]
    for model in response.body["data"]:
        assert model["object"] == "model" and isinstance(model["created"], int) and model["owned_by"]
    by_id = {model["id"]: model for model in response.body["data"]}
    assert by_id["qwen3-vl-plus"]["capabilities"]["image"] is True
    assert by_id["qwen-plus"]["capabilities"]["image"] is False
    assert by_id["qwq-plus"]["capabilities"]["thinking"] == "always"


def test_one_model(models, unit_env):
    unit_env(ALLOWED_MODELS="qwen-plus,qwen3-max")
    response = models("/v1/models/qwen3-max")
    assert response.status == 200
    assert response.body["id"] == "qwen3-max" and response.body["object"] == "model"


def test_an_unconfigured_model_is_an_openai_404(models, unit_env):
    unit_env(ALLOWED_MODELS="qwen-plus")
    response = models("/v1/models/gpt-4o")
    assert response.status == 404
    assert response.body == {
        "error": {
            "message": "The model 'gpt-4o' does not exist",
            "type": "not_found_error",
            "param": None,
            "code": None,
        }
    }


def test_a_bad_path_parameter_is_an_openai_400(models):
    response = models("/v1/models/" + "x" * 200)
    assert response.status == 400
    assert response.body["error"]["type"] == "invalid_request_error"
    assert "model" in response.body["error"]["message"]
