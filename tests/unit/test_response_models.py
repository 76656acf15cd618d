"""Drift: a handler declares the model of what it answers (its return type, which the OpenAPI
document is generated from); Powertools checks every answer against it, so a field the model
lacks is a 500, never an undocumented field in the answer."""

from bailian_chat.api.answers import BAD_REQUEST, answers
from bailian_chat.api.app import create_app
from bailian_chat.chat.responses import Conversation

from tests.support.events import HandlerResponse, LambdaContext, api_event

PATH = "/api/conversations/7"
STORED = {
    "conversation_id": 7,
    "title": "Trip planning",
    "model_name": "qwen-plus",
    "status": 1,
    "created_at": "2024-01-01T00:00:00Z",
    "updated_at": "2024-01-02T00:00:00Z",
}


def answer_of(returned: dict, route: str = "/api/conversations/<conversation_id>") -> HandlerResponse:
    app = create_app()

    @app.get(
        route,
        responses=answers("Retrieval successful", {400: BAD_REQUEST}),
    )
    def handle(conversation_id: int) -> Conversation:
        return returned

    return HandlerResponse.from_result(app.resolve(api_event("GET", PATH), LambdaContext()))


def test_what_the_model_declares_is_answered_in_the_envelope_with_the_routes_200_description():
    response = answer_of(Conversation.pick({**STORED, "user_id": 3, "message_count": 2}))

    assert response.status == 200
    assert response.body == {"code": 200, "message": "Retrieval successful", "data": STORED}
    assert list(response.body["data"]) == list(Conversation.model_fields)


def test_a_field_the_declared_model_lacks_is_a_server_error_not_an_answer():
    response = answer_of({**STORED, "user_id": 3})

    assert response.status == 500
    assert response.body == {"code": 500, "message": "Server internal error", "data": None}


def test_a_missing_field_is_a_server_error_too():
    response = answer_of({key: value for key, value in STORED.items() if key != "title"})

    assert response.status == 500


def test_a_path_no_route_matches_is_the_envelopes_404():
    response = answer_of(STORED, route="/api/conversations/<conversation_id>/elsewhere")

    assert response.status == 404
    assert response.body == {"code": 404, "message": "Resource not found", "data": None}
