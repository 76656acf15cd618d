"""bailian_chat.chat.model_catalog: the configured models and what each accepts, from the layer's
catalog file, ALLOWED_MODELS and MODEL_CATALOG."""

import json

import pytest
from bailian_chat.chat.model_catalog import check_content_fits, configured_models, model_spec
from bailian_chat.chat.models import CreateConversationRequest
from bailian_chat.config import DEFAULT_MODELS, SPEC_MODELS, ConfigError, load_settings
from bailian_chat.errors import BadRequest
from pydantic import ValidationError

IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
VIDEO = {"type": "video_url", "video_url": {"url": "https://example.com/a.mp4"}}


def test_the_default_models_are_the_specs_then_current_ones():
    names = [spec.name for spec in configured_models()]

    assert names == list(DEFAULT_MODELS)
    # Pinned here, once: the other suites take the list from config.DEFAULT_MODELS.
    spec = ["qwen-vl-max-latest", "qwen-vl-max", "qwen-vl-plus", "qwen-max", "qwen-plus", "qwen-turbo"]
    current = ["qwen3-max", "qwen3-vl-plus", "qwen3-vl-flash", "qwen-plus-latest", "qwen-flash", "qwq-plus"]
    assert list(SPEC_MODELS) == spec
    assert names == [*spec, *current]


def test_capabilities_come_from_the_catalog_file():
    assert model_spec("qwen-plus").image is False
    assert model_spec("qwen-plus").thinking == "optional"
    assert model_spec("qwen3-vl-plus").image and model_spec("qwen3-vl-plus").video
    assert model_spec("qwq-plus").thinking == "always"
    assert model_spec("qwen-vl-max").tools is False
    assert model_spec("qwen3-max").max_output_tokens == 65536
    assert all(spec.owned_by == "alibaba-cloud" for spec in configured_models())


def test_a_model_not_configured_has_no_spec(unit_env):
    unit_env(ALLOWED_MODELS="qwen-plus, qwen3-max")

    assert [spec.name for spec in configured_models()] == ["qwen-plus", "qwen3-max"]
    assert model_spec("qwen-turbo") is None
    with pytest.raises(ValidationError, match="must be one of: qwen-plus, qwen3-max"):
        CreateConversationRequest.model_validate({"model_name": "qwen-turbo"})


def test_model_catalog_overrides_and_adds_models(unit_env):
    overrides = {"qwen-plus": {"image": True}, "my-finetune": {"tools": False, "max_output_tokens": 2048}}
    unit_env(ALLOWED_MODELS="qwen-plus,my-finetune,unknown-one", MODEL_CATALOG=json.dumps(overrides))

    plus, finetune, unknown = configured_models()
    assert (plus.image, plus.video, plus.thinking) == (True, False, "optional")
    assert (finetune.tools, finetune.max_output_tokens, finetune.image) == (False, 2048, False)
    # Known to neither: text-only with tools, no thinking.
    assert (unknown.image, unknown.video, unknown.tools, unknown.thinking) == (False, False, True, "none")


@pytest.mark.parametrize(
    ("raw", "message"),
    [("{not json", "not valid JSON"), ("[1]", "JSON object"), ('{"qwen-plus": 3}', "JSON object")],
)
def test_a_malformed_model_catalog_stops_the_function(raw, message):
    with pytest.raises(ConfigError, match=message):
        load_settings({"TABLE_NAME": "t", "JWT_SECRET": "s" * 32, "MODEL_CATALOG": raw})


@pytest.mark.parametrize(
    "entry", [{"imagez": True}, {"image": "yes"}, {"thinking": "sometimes"}, {"max_output_tokens": 0}]
)
def test_a_bad_catalog_entry_is_a_config_error(unit_env, entry):
    unit_env(ALLOWED_MODELS="qwen-plus", MODEL_CATALOG=json.dumps({"qwen-plus": entry}))

    with pytest.raises(ConfigError, match="MODEL_CATALOG"):
        configured_models()


@pytest.mark.parametrize(("part", "kind"), [(IMAGE, "images"), (VIDEO, "videos")])
def test_media_to_a_text_only_model_is_400_naming_the_model(part, kind):
    messages = [
        {"role": "system", "content": "hi"},
        {"role": "user", "content": [{"type": "text", "text": "x"}, part]},
    ]

    with pytest.raises(BadRequest) as raised:
        check_content_fits("qwen-plus", messages)

    assert raised.value.message == f"messages[1].content[1]: model qwen-plus does not accept {kind}"
    assert raised.value.param == "messages[1].content[1]"


def test_media_to_a_vision_model_and_text_anywhere_fit():
    check_content_fits("qwen3-vl-plus", [{"role": "user", "content": [IMAGE, VIDEO]}])
    check_content_fits(
        "qwen-plus", [{"role": "user", "content": "text"}, {"role": "assistant", "content": None}]
    )


def test_the_spec_proxy_refuses_media_to_a_text_only_model_in_the_specs_words(table):
    from bailian_chat.chat import completions
    from bailian_chat.chat.models import ChatCompletionRequest
    from bailian_chat.usage.model_calls import CallSource

    request = ChatCompletionRequest.model_validate(
        {
            "model": "qwen-plus",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "x"}, IMAGE]}],
        }
    )
    source = CallSource(user_id=1, client_ip="203.0.113.1", api_endpoint="/api/bailian/chat/completions")

    with pytest.raises(BadRequest) as raised:
        completions.complete(source, request)

    assert raised.value.message == "messages.0.content.1: model qwen-plus does not accept images"
