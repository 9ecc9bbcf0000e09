"""DPoP proofs (RFC 9449) and key thumbprints (RFC 7638): what a service accepts and refuses."""

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from civic_common.auth.dpop import (
    MAX_AGE,
    InvalidProof,
    ProofKey,
    normalized_uri,
    thumbprint,
    token_hash,
    verify_proof,
)

pytestmark = pytest.mark.unit

URL = "https://trajecten.example/partners/v1/feed"


def test_thumbprint_of_the_rfc_7638_example_key() -> None:
    jwk = {
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSo"
        "c_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQ"
        "R0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bF"
        "TWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_a_fresh_proof_holds_and_names_its_key() -> None:
    key = ProofKey()
    proof = verify_proof(key.proof("GET", URL, "tok"), "GET", URL, access_token="tok")
    assert proof.thumbprint == key.thumbprint
    assert proof.remember_until > time.time() + MAX_AGE - 1


def test_uris_compare_without_query_default_port_or_case() -> None:
    assert normalized_uri("HTTPS://Trajecten.Example:443/partners/v1/feed?cursor=x#f") == URL
    assert normalized_uri("http://h:8002/a") == "http://h:8002/a"
    key = ProofKey()
    verify_proof(key.proof("GET", URL + "?cursor=abc"), "GET", URL + "?cursor=def")


def _signed(claims: dict, headers: dict | None = None, key: ProofKey | None = None) -> str:
    """A proof with chosen claims and header, signed like a client would."""
    key = key or ProofKey()
    private = key._key  # the test forges proofs the client class would never make
    return jwt.encode(
        claims,
        private,
        algorithm="ES256",
        headers={"typ": "dpop+jwt", "jwk": key.jwk} | (headers or {}),
    )


def _claims(**changes: object) -> dict:
    return {"jti": "j1", "htm": "GET", "htu": URL, "iat": int(time.time())} | changes


@pytest.mark.parametrize(
    ("proof", "reason"),
    [
        (lambda: _signed(_claims(), {"typ": "JWT"}), "typ"),
        (lambda: _signed(_claims(htm="POST")), "htm"),
        (lambda: _signed(_claims(htu="https://other.example/partners/v1/feed")), "htu"),
        (lambda: _signed(_claims(iat=int(time.time()) - MAX_AGE - 10)), "iat"),
        (lambda: _signed(_claims(iat=int(time.time()) + 600)), "iat"),
        (lambda: _signed(_claims(ath=token_hash("another"))), "ath"),
        (lambda: _signed(_claims()), "ath"),  # a token presented, but no ath at all
        (lambda: _signed({"htm": "GET", "htu": URL, "iat": int(time.time())}), "claims"),
        (lambda: _signed(_claims(jti="x" * 500)), "jti"),
        (lambda: "not.a.jwt", "JWT"),
    ],
)
def test_proofs_that_do_not_hold(proof, reason: str) -> None:
    with pytest.raises(InvalidProof, match=reason):
        verify_proof(proof(), "GET", URL, access_token="tok")


def test_a_proof_signed_by_another_key_than_its_header_names() -> None:
    named, signer = ProofKey(), ec.generate_private_key(ec.SECP256R1())
    forged = jwt.encode(
        _claims(ath=token_hash("tok")),
        signer,
        algorithm="ES256",
        headers={"typ": "dpop+jwt", "jwk": named.jwk},
    )
    with pytest.raises(InvalidProof, match="signature"):
        verify_proof(forged, "GET", URL, access_token="tok")


def test_symmetric_algorithms_and_private_keys_in_the_header_are_refused() -> None:
    hmac_proof = jwt.encode(
        _claims(),
        "secret-secret-secret-secret-secret!",
        algorithm="HS256",
        headers={"typ": "dpop+jwt"},
    )
    with pytest.raises(InvalidProof, match="alg"):
        verify_proof(hmac_proof, "GET", URL)
    key = ProofKey()
    leaky = dict(key.jwk, d="private-part")
    with pytest.raises(InvalidProof, match="public key"):
        verify_proof(_signed(_claims(), {"jwk": leaky}, key), "GET", URL)
