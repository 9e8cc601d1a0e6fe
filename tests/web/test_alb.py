"""The ALB sign-in header verified with keys made in the test and served from 127.0.0.1."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from adapters.local.identity import FileIdentity, OpenLocalIdentity
from adapters.web.alb import (AlbConfigError, AlbKeys, AlbVerifier, InvalidSignIn, MissingSignIn, alb_region,
                              regional_key_url)
from adapters.web.signin import NoAccess, sign_in
from tests.web.alb_keys import ALB_ARN, OTHER_ALB_ARN, FakeAlb, padded_b64


@pytest.fixture()
def alb() -> Iterator[FakeAlb]:
    fake = FakeAlb().start()
    yield fake
    fake.stop()


@pytest.fixture()
def verifier(alb: FakeAlb) -> AlbVerifier:
    return AlbVerifier(ALB_ARN, alb.url)


def test_a_valid_padded_token_verifies_and_its_key_is_fetched_once(alb: FakeAlb, verifier: AlbVerifier) -> None:
    kid = alb.new_key()
    token = alb.token(kid, {"name": "Ana Lima"})
    assert "=" in token.split(".")[0] + token.split(".")[2]  # the ALB's padding quirk is in the test token
    claims = verifier.verify(token)
    assert claims["email"] == "ana@example.com" and claims["name"] == "Ana Lima"
    assert verifier.verify(alb.token(kid))["sub"].startswith("3f1c0a52")
    assert alb.requests == [f"/keys/{kid}"]  # cached by kid
    assert verifier.verify(alb.token(kid, pad=False))["email"] == "ana@example.com"  # should the ALB stop padding


def test_a_token_from_another_load_balancer_is_rejected_before_any_key_is_fetched(
        alb: FakeAlb, verifier: AlbVerifier) -> None:
    kid = alb.new_key()
    with pytest.raises(InvalidSignIn, match="could not be verified"):
        verifier.verify(alb.token(kid, signer=OTHER_ALB_ARN))
    assert alb.requests == []


def test_an_expired_token_is_rejected(alb: FakeAlb, verifier: AlbVerifier) -> None:
    kid = alb.new_key()
    with pytest.raises(InvalidSignIn, match="expired"):
        verifier.verify(alb.token(kid, expires_in=-300))
    # only the payload's exp in the past (the header's still ahead): PyJWT rejects it too
    past = alb.token(kid, {"exp": 1_000_000})
    with pytest.raises(InvalidSignIn, match="expired"):
        verifier.verify(past)


def test_a_tampered_token_is_rejected(alb: FakeAlb, verifier: AlbVerifier) -> None:
    kid = alb.new_key()
    header, payload, signature = alb.token(kid).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload))
    claims["email"] = "boss@example.com"
    forged = f"{header}.{padded_b64(json.dumps(claims).encode())}.{signature}"
    with pytest.raises(InvalidSignIn, match="could not be verified"):
        verifier.verify(forged)
    # signed with a key of the attacker's own under the ALB's kid
    with pytest.raises(InvalidSignIn):
        verifier.verify(alb.token(kid, {"email": "boss@example.com"},
                                  signing_key=ec.generate_private_key(ec.SECP256R1())))
    # a token that picks its own algorithm is not accepted
    with pytest.raises(InvalidSignIn):
        verifier.verify(f"{padded_b64(json.dumps({'alg': 'none', 'kid': kid, 'signer': ALB_ARN}).encode())}"
                        f".{payload}.")


def test_a_missing_or_malformed_header_is_rejected(alb: FakeAlb, verifier: AlbVerifier) -> None:
    for missing in (None, ""):
        with pytest.raises(MissingSignIn, match="not signed in"):
            verifier.verify(missing)
    for junk in ("not-a-token", "a.b", "x" * 20_000, "eyJhbGciOiJFUzI1NiJ9.e30.!!!!"):
        with pytest.raises(InvalidSignIn):
            verifier.verify(junk)
    header = {"alg": "ES256", "kid": "../../admin", "signer": ALB_ARN, "exp": 9_999_999_999}
    with pytest.raises(InvalidSignIn):  # a kid that is not a key id never reaches the key URL
        verifier.verify(f"{padded_b64(json.dumps(header).encode())}.{padded_b64(b'{}')}.{padded_b64(b'sig')}")
    assert alb.requests == []


def test_an_unknown_key_or_a_key_endpoint_that_is_down_is_a_readable_error(alb: FakeAlb) -> None:
    verifier = AlbVerifier(ALB_ARN, alb.url)
    orphan = alb.new_key()
    token = alb.token(orphan)
    del alb.keys[orphan]  # the endpoint no longer knows it: 404
    with pytest.raises(InvalidSignIn, match="could not be checked right now"):
        verifier.verify(token)
    down = AlbVerifier(ALB_ARN, "http://127.0.0.1:9/keys")
    with pytest.raises(InvalidSignIn, match="could not be checked right now"):
        down.verify(token)


def test_settings_name_the_regional_endpoint_and_refuse_unsafe_key_urls() -> None:
    assert alb_region(ALB_ARN) == "eu-west-1"
    assert regional_key_url(ALB_ARN) == "https://public-keys.auth.elb.eu-west-1.amazonaws.com"
    gov = "arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:loadbalancer/app/x/0123abcd"
    assert regional_key_url(gov) == "https://s3-us-gov-west-1.amazonaws.com/aws-elb-public-keys-prod-us-gov-west-1"
    assert AlbVerifier(ALB_ARN).keys.base_url == "https://public-keys.auth.elb.eu-west-1.amazonaws.com"
    for arn in ("", "arn:aws:iam::123456789012:role/x", "loadbalancer/app/x/y"):
        with pytest.raises(AlbConfigError, match="not an Application Load Balancer ARN"):
            AlbVerifier(arn)
    with pytest.raises(AlbConfigError, match="https"):
        AlbKeys("http://keys.example.com")  # plain HTTP only on loopback: keys must not be spoofable


def test_sign_in_resolves_the_email_through_the_identity_resolver(alb: FakeAlb, verifier: AlbVerifier,
                                                                  tmp_path: Path) -> None:
    kid = alb.new_key()
    identity_file = tmp_path / "identity.yaml"
    identity_file.write_text("groups:\n  support: {tables: [support.tickets]}\n"
                             "users:\n  ana@example.com: {groups: [support]}\n", encoding="utf-8")
    identity = FileIdentity(identity_file)
    headers = {"X-Amzn-Oidc-Data": alb.token(kid, {"given_name": "Ana", "family_name": "Lima"}),
               "x-amzn-oidc-identity": "ignored"}
    user = sign_in("alb", headers, identity, verifier)
    assert user.signed_in and user.name == "Ana Lima"
    assert user.principal.email == "ana@example.com" and user.principal.groups == ("support",)
    assert user.principal.allowed_tables == frozenset({"support.tickets"})
    with pytest.raises(NoAccess, match="nobody@example.com"):  # signed in, but unknown to the resolver
        sign_in("alb", {"x-amzn-oidc-data": alb.token(kid, {"email": "nobody@example.com"})}, identity, verifier)
    with pytest.raises(NoAccess, match="no email"):
        sign_in("alb", {"x-amzn-oidc-data": alb.token(kid, {"email": None})}, identity, verifier)
    with pytest.raises(MissingSignIn):
        sign_in("alb", {}, identity, verifier)
    local = sign_in("none", {}, OpenLocalIdentity())
    assert not local.signed_in and local.principal.email == "analyst@localhost"
