"""bailian_chat.auth.tokens and bailian_chat.auth.passwords in isolation."""

import time

import jwt
import pytest
from bailian_chat.auth import passwords, tokens
from bailian_chat.errors import Unauthorized

from tests.support.environment import JWT_ISSUER, JWT_SECRET
from tests.support.tokens import FORGERIES, claims_of, each_forgery, header_of

IN_AN_HOUR = int(time.time()) + 3600


# ----------------------------------------------------------------------------- tokens


def test_issue_signs_with_hs256_and_every_required_claim():
    token = tokens.issue(42, "session-1", tokens.ACCESS, IN_AN_HOUR, "token-1")

    assert header_of(token)["alg"] == "HS256"
    claims = jwt.decode(token, JWT_SECRET, algorithms=["HS256"], issuer=JWT_ISSUER)
    assert set(claims) == {"sub", "sid", "jti", "typ", "iat", "exp", "iss"}
    assert claims["sub"] == "42"
    assert claims["sid"] == "session-1"
    assert claims["jti"] == "token-1"
    assert claims["typ"] == "access"
    assert claims["exp"] == IN_AN_HOUR
    assert claims["iss"] == JWT_ISSUER
    assert abs(claims["iat"] - time.time()) < 5


def test_issue_without_token_id_draws_a_fresh_one_each_time():
    first = claims_of(tokens.issue(1, "s", tokens.REFRESH, IN_AN_HOUR))
    second = claims_of(tokens.issue(1, "s", tokens.REFRESH, IN_AN_HOUR))

    assert first["jti"] != second["jti"]
    assert len(first["jti"]) >= 16


def test_verify_returns_the_claims_of_a_valid_token():
    token = tokens.issue(42, "session-1", tokens.REFRESH, IN_AN_HOUR, "token-1")

    claims = tokens.verify(token, tokens.REFRESH)

    assert claims == tokens.TokenClaims(
        user_id=42, session_id="session-1", token_id="token-1", token_type="refresh", expires_at=IN_AN_HOUR
    )


def test_verify_pins_the_algorithm():
    assert tokens.ALGORITHM == "HS256"


@each_forgery
def test_verify_rejects_a_forged_token(forgery):
    token = forgery(claims_of(tokens.issue(1, "s", tokens.ACCESS, IN_AN_HOUR)))

    with pytest.raises(Unauthorized):
        tokens.verify(token, tokens.ACCESS)


@pytest.mark.parametrize(
    ("issued", "expected"), [(tokens.ACCESS, tokens.REFRESH), (tokens.REFRESH, tokens.ACCESS)]
)
def test_verify_rejects_the_other_token_type(issued, expected):
    token = tokens.issue(1, "s", issued, IN_AN_HOUR)

    with pytest.raises(Unauthorized):
        tokens.verify(token, expected)


def test_verify_rejects_a_token_it_issued_already_expired():
    token = tokens.issue(1, "s", tokens.ACCESS, int(time.time()) - 1)

    with pytest.raises(Unauthorized):
        tokens.verify(token, tokens.ACCESS)


def test_required_claims_are_the_design_set_each_forgery_drops_one_of():
    assert set(tokens.REQUIRED_CLAIMS) == {"sub", "sid", "jti", "typ", "iat", "exp", "iss"}
    assert {f"without-{claim}" for claim in tokens.REQUIRED_CLAIMS} <= set(FORGERIES)


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "...."])
def test_verify_rejects_garbage(token):
    with pytest.raises(Unauthorized):
        tokens.verify(token, tokens.ACCESS)


def test_verify_failure_carries_the_callers_message():
    with pytest.raises(Unauthorized) as raised:
        tokens.verify("garbage", tokens.REFRESH, "Refresh token is invalid or expired")

    assert raised.value.message == "Refresh token is invalid or expired"


# ----------------------------------------------------------------------------- passwords


def test_hash_password_is_argon2id_with_owasp_parameters(production_password_hashing):
    hashed = passwords.hash_password("correct horse battery")

    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_hash_password_salts_each_hash():
    assert passwords.hash_password("same password") != passwords.hash_password("same password")


def test_verify_password_accepts_the_right_password():
    assert passwords.verify_password(passwords.hash_password("right password"), "right password") is True


def test_verify_password_rejects_a_wrong_password():
    assert passwords.verify_password(passwords.hash_password("right password"), "wrong password") is False


@pytest.mark.parametrize("password", ["anything", "dummy password for unknown users", ""])
def test_verify_password_for_unknown_user_is_false(password):
    assert passwords.verify_password(None, password) is False


@pytest.mark.parametrize("stored", ["", "not-a-hash", "$argon2id$v=19$m=19456,t=2,p=1$broken"])
def test_verify_password_with_a_corrupt_hash_is_false(stored):
    assert passwords.verify_password(stored, "whatever") is False
