"""DPoP, sender-constrained tokens (RFC 9449): a captured access token is useless without the
partner's private key, and a captured proof is useless a second time.

A partner client keeps a key pair (``ProofKey``). At the token endpoint it sends a proof signed
with it; the issuer binds the token to the key's thumbprint (claim ``cnf.jkt``). With every call
it sends ``Authorization: DPoP <token>`` and a fresh proof naming the method, the URL and a hash
of the token. Services check the proof here (pure, no I/O) and its ``jti`` once in a registry
(``db.proofs``), so a replay inside the proof's short life is refused too.
"""

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

# Asymmetric algorithms only: a proof must show possession of a private key (§4.2).
ALGORITHMS = ("ES256", "ES384", "PS256", "RS256", "EdDSA")
PROOF_TYPE = "dpop+jwt"
MAX_AGE = 60  # seconds a proof is accepted after its iat
CLOCK_SKEW = 5  # seconds a proof's iat may lie in our future
MAX_JTI = 128

# The members of each key type that make up its thumbprint, in RFC 7638's lexical order.
_THUMBPRINT_MEMBERS = {
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
    "OKP": ("crv", "kty", "x"),
}
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


class InvalidProof(ValueError):
    """A DPoP proof that does not hold; the message says why (for the error description)."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 JWK SHA-256 thumbprint, base64url."""
    members = _THUMBPRINT_MEMBERS.get(str(jwk.get("kty")))
    if members is None or any(not isinstance(jwk.get(m), str) for m in members):
        raise InvalidProof("unsupported or incomplete jwk")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode()).digest())


def token_hash(access_token: str) -> str:
    """The ``ath`` claim: base64url SHA-256 of the access token."""
    return b64url(hashlib.sha256(access_token.encode("ascii")).digest())


def normalized_uri(url: str) -> str:
    """The ``htu`` comparison form (§4.3): no query or fragment, scheme and host lower-case,
    the default port left out."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(scheme)
    netloc = host if parts.port in (None, default) else f"{host}:{parts.port}"
    return urlunsplit((scheme, netloc, parts.path or "/", "", ""))


@dataclass(frozen=True)
class Proof:
    """A checked proof: the key's thumbprint, and the jti with the time until it must be
    remembered to refuse a replay."""

    thumbprint: str
    jti: str
    remember_until: float


def verify_proof(
    proof: str,
    method: str,
    url: str,
    *,
    access_token: str | None = None,
    now: float | None = None,
) -> Proof:
    """Check a proof's form, signature and claims (§4.3) against this request; ``access_token``
    when one is presented with it (then ``ath`` must match)."""
    now = time.time() if now is None else now
    try:
        header = jwt.get_unverified_header(proof)
    except jwt.PyJWTError as exc:
        raise InvalidProof("not a JWT") from exc
    if header.get("typ") != PROOF_TYPE:
        raise InvalidProof(f"typ must be {PROOF_TYPE}")
    if header.get("alg") not in ALGORITHMS:
        raise InvalidProof("alg must be an asymmetric signature algorithm")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict) or _PRIVATE_MEMBERS & jwk.keys():
        raise InvalidProof("jwk must be a public key")
    try:
        key = jwt.PyJWK.from_dict(jwk, algorithm=header["alg"])
        claims = jwt.decode(
            proof,
            key,
            algorithms=[header["alg"]],
            options={"require": ["jti", "htm", "htu", "iat"], "verify_aud": False},
            leeway=CLOCK_SKEW,
        )
    except jwt.ImmatureSignatureError as exc:
        raise InvalidProof("iat is in the future") from exc
    except (jwt.PyJWTError, ValueError, KeyError) as exc:
        raise InvalidProof("bad signature or claims") from exc
    jti = claims["jti"]
    if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI:
        raise InvalidProof("jti must be a short string")
    if claims["htm"] != method.upper():
        raise InvalidProof("htm does not match the request method")
    if not isinstance(claims["htu"], str) or normalized_uri(claims["htu"]) != normalized_uri(url):
        raise InvalidProof("htu does not match the request URL")
    iat = claims["iat"]
    if not isinstance(iat, int | float) or not now - MAX_AGE <= iat <= now + CLOCK_SKEW:
        raise InvalidProof("iat is too old or in the future")
    if access_token is not None and claims.get("ath") != token_hash(access_token):
        raise InvalidProof("ath does not match the access token")
    return Proof(thumbprint(jwk), jti, float(iat) + MAX_AGE + CLOCK_SKEW)


class ProofKey:
    """A partner client's side: an EC P-256 key pair that signs one proof per request."""

    def __init__(self, key: ec.EllipticCurvePrivateKey | None = None) -> None:
        self._key = key or ec.generate_private_key(ec.SECP256R1())
        self.jwk: dict[str, Any] = json.loads(
            jwt.algorithms.ECAlgorithm.to_jwk(self._key.public_key())
        )

    @property
    def thumbprint(self) -> str:
        return thumbprint(self.jwk)

    def proof(self, method: str, url: str, access_token: str | None = None) -> str:
        claims: dict[str, Any] = {
            "jti": secrets.token_urlsafe(16),
            "htm": method.upper(),
            "htu": normalized_uri(url),
            "iat": int(time.time()),
        }
        if access_token is not None:
            claims["ath"] = token_hash(access_token)
        return jwt.encode(
            claims, self._key, algorithm="ES256", headers={"typ": PROOF_TYPE, "jwk": self.jwk}
        )

    def headers(self, method: str, url: str, access_token: str) -> dict[str, str]:
        """The two headers of a call with a DPoP-bound token."""
        return {
            "Authorization": f"DPoP {access_token}",
            "DPoP": self.proof(method, url, access_token),
        }
