"""bailian_chat.chat.openai_models' use cases of GET /v1/models and GET /v1/models/{model}."""

import pytest
from bailian_chat.chat import model_catalog, openai_models
from bailian_chat.errors import NotFound


def test_the_list_is_every_configured_model_in_order():
    listed = openai_models.model_list()

    assert listed["object"] == "list"
    assert [m["id"] for m in listed["data"]] == [spec.name for spec in model_catalog.configured_models()]


def test_one_model_is_its_model_object_and_an_unknown_one_is_not_found():
    first = model_catalog.configured_models()[0]

    assert openai_models.configured_model(first.name) == openai_models.model_object(first)
    with pytest.raises(NotFound) as raised:
        openai_models.configured_model("no-such-model")
    assert raised.value.message == "The model 'no-such-model' does not exist"
