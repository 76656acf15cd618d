"""Isolation between users over HTTP (DESIGN §3: another user's resource is 403, and no response
ever carries another user's data): user B tries every conversation and message endpoint on
user A's resources, and A's data must come out of it untouched."""

import json
import uuid
from dataclasses import dataclass

import httpx
import pytest

from tests.support.chat_client import ChatApi, User, error, new_user, success_data, text_content

pytestmark = pytest.mark.needs_handlers


@dataclass(frozen=True)
class World:
    alice: User
    bob: User
    conversation_id: int  # Alice's, the target of Bob's attempts
    other_conversation_id: int  # Alice's second conversation
    message_id: int  # Alice's own message in the target
    reply_id: int  # the assistant's reply in the target
    other_message_id: int  # a message in Alice's second conversation
    bob_conversation_id: int
    secrets: tuple[str, ...]  # Alice's titles, texts and username: never in Bob's answers


@pytest.fixture(scope="module")
def world(stack) -> World:
    tag = uuid.uuid4().hex[:8]
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        alice, bob = new_user(client, "alice"), new_user(client, "bob")
        a, b = ChatApi(client, alice), ChatApi(client, bob)
        target = a.create_ok(title=f"Alice private {tag}", model_name="qwen-vl-plus")["conversation_id"]
        second = a.create_ok(title=f"Alice diary {tag}", model_name="qwen-plus")["conversation_id"]
        first = a.send_ok(target, f"alice secret text {tag}")
        answered = a.send_ok(target, f"alice question {tag}", generate=True)
        assert answered["reply"] is not None, answered
        other = a.send_ok(second, f"alice diary entry {tag}")
        bobs = b.create_ok(title="Bob's own", model_name="qwen-plus")["conversation_id"]
        b.send_ok(bobs, "bob's words")
    return World(
        alice=alice,
        bob=bob,
        conversation_id=target,
        other_conversation_id=second,
        message_id=first["message_id"],
        reply_id=answered["reply"]["message_id"],
        other_message_id=other["message_id"],
        bob_conversation_id=bobs,
        secrets=(
            f"Alice private {tag}",
            f"Alice diary {tag}",
            f"alice secret text {tag}",
            f"alice question {tag}",
            f"Echo: alice question {tag}",
            f"alice diary entry {tag}",
            alice.username,
        ),
    )


@pytest.fixture
def alice(api, world) -> ChatApi:
    return ChatApi(api, world.alice)


@pytest.fixture
def bob(api, world) -> ChatApi:
    return ChatApi(api, world.bob)


def snapshot(alice: ChatApi, world: World) -> dict:
    """Everything Alice can read about her data."""
    return {
        "conversation": success_data(alice.get(world.conversation_id), "Retrieval successful"),
        "other": success_data(alice.get(world.other_conversation_id), "Retrieval successful"),
        "history": alice.history_ok(world.conversation_id, limit=100),
        "other_history": alice.history_ok(world.other_conversation_id, limit=100),
        "list": alice.listing_ok(limit=100),
    }


ATTEMPTS = {
    "get conversation": (
        lambda bob, w: bob.get(w.conversation_id),
        "No permission to access this conversation",
    ),
    "rename conversation": (
        lambda bob, w: bob.update(w.conversation_id, {"title": "Bob was here"}),
        "No permission to modify this conversation",
    ),
    "update conversation without title": (
        lambda bob, w: bob.update(w.conversation_id, {}),
        "No permission to modify this conversation",
    ),
    "delete conversation": (
        lambda bob, w: bob.delete(w.conversation_id),
        "No permission to delete this conversation",
    ),
    "send message": (
        lambda bob, w: bob.send(w.conversation_id, {"content": text_content("injected"), "generate": False}),
        "No permission to send messages in this conversation",
    ),
    "send message asking the model": (
        lambda bob, w: bob.send(w.conversation_id, {"content": text_content("injected")}),
        "No permission to send messages in this conversation",
    ),
    "read history": (
        lambda bob, w: bob.history(w.conversation_id),
        "No permission to access messages in this conversation",
    ),
    "read history, big page": (
        lambda bob, w: bob.history(w.conversation_id, page=1, limit=100),
        "No permission to access messages in this conversation",
    ),
    "delete alice's message": (
        lambda bob, w: bob.delete_message(w.message_id),
        "No permission to delete this message",
    ),
    "delete the assistant's reply": (
        lambda bob, w: bob.delete_message(w.reply_id),
        "No permission to delete this message",
    ),
    "delete a message of alice's other conversation": (
        lambda bob, w: bob.delete_message(w.other_message_id),
        "No permission to delete this message",
    ),
}


@pytest.mark.parametrize("attempt", list(ATTEMPTS))
def test_other_user_gets_403_without_any_data_and_changes_nothing(alice, bob, world, attempt):
    act, message = ATTEMPTS[attempt]
    before = snapshot(alice, world)

    response = act(bob, world)

    assert response.status_code == 403, response.text
    assert response.json() == error(403, message)
    for secret in world.secrets:
        assert secret not in response.text
    assert snapshot(alice, world) == before


def test_alice_data_is_intact_after_every_attempt(alice, bob, world):
    before = snapshot(alice, world)

    for act, _ in ATTEMPTS.values():
        assert act(bob, world).status_code == 403

    after = snapshot(alice, world)
    assert after == before
    assert after["conversation"]["title"].startswith("Alice private ")
    assert after["history"]["pagination"]["total"] == 3
    assert [m["role"] for m in after["history"]["messages"]] == ["user", "user", "assistant"]
    assert after["other_history"]["pagination"]["total"] == 1
    assert after["list"]["pagination"]["total"] == 2


def test_other_users_list_shows_only_their_own_conversations(bob, world):
    listing = bob.listing_ok(limit=100)
    alices_model = bob.listing_ok(model_name="qwen-vl-plus")
    shared_model = bob.listing_ok(model_name="qwen-plus")

    assert [c["conversation_id"] for c in listing["conversations"]] == [world.bob_conversation_id]
    assert listing["pagination"] == {"current_page": 1, "per_page": 100, "total": 1, "total_pages": 1}
    assert alices_model == {
        "conversations": [],
        "pagination": {"current_page": 1, "per_page": 10, "total": 0, "total_pages": 0},
    }
    assert [c["conversation_id"] for c in shared_model["conversations"]] == [world.bob_conversation_id]
    assert shared_model["pagination"]["total"] == 1
    raw = json.dumps([listing, alices_model, shared_model])
    for secret in world.secrets:
        assert secret not in raw


def test_other_users_own_history_holds_only_their_messages(bob, world):
    history = bob.history_ok(world.bob_conversation_id, limit=100)

    assert [m["content"] for m in history["messages"]] == [text_content("bob's words")]
    assert {m["user_id"] for m in history["messages"]} == {world.bob.user_id}
    assert history["pagination"]["total"] == 1


def test_isolation_holds_the_other_way_round(alice, world):
    assert alice.get(world.bob_conversation_id).json() == error(
        403, "No permission to access this conversation"
    )
    assert alice.history(world.bob_conversation_id).json() == error(
        403, "No permission to access messages in this conversation"
    )
