"""The local token issuer of the embedded default: an RSA key pair in the state folder.

Production points ``CIVIC_JWT_JWKS`` at a real OpenID Connect provider instead.
``civic-token --role counter`` prints a token on its last line (``make token ROLE=counter``).
"""

import argparse
import json
import os
import time
import uuid
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from civic_common.auth.tokens import ROLES

PRIVATE_KEY = "issuer-key.pem"
JWKS = "jwks.json"


def ensure_keys(directory: Path) -> Path:
    """Create the key pair once; returns the JWKS path services validate against."""
    directory.mkdir(parents=True, exist_ok=True)
    key_path, jwks_path = directory / PRIVATE_KEY, directory / JWKS
    if not key_path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        key_path.touch(mode=0o600)
        key_path.write_bytes(pem)
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
        public |= {"kid": uuid.uuid4().hex[:16], "use": "sig", "alg": "RS256"}
        jwks_path.write_text(json.dumps({"keys": [public]}, indent=2))
    return jwks_path


def mint(
    directory: Path,
    roles: list[str],
    subject: str,
    organisation: str | None = None,
    municipality: str | None = None,
    scope: str | None = None,
    issuer: str = "civic-local",
    audience: str = "civic",
    ttl: int = 8 * 3600,
    key_thumbprint: str | None = None,
    legal_bases: list[str] | None = None,
) -> str:
    jwks_path = ensure_keys(directory)
    kid = json.loads(jwks_path.read_text())["keys"][0]["kid"]
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "iat": now,
        "exp": now + ttl,
        "roles": roles,
        "org": organisation,
        "municipality": municipality,
    }
    if scope:
        claims["scope"] = scope
    if key_thumbprint:
        claims["cnf"] = {"jkt": key_thumbprint}  # bound to the client's DPoP key
    if legal_bases is not None:
        claims["legal_bases"] = legal_bases  # the bases an admin granted this partner client
    key = (directory / PRIVATE_KEY).read_bytes()
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def main() -> None:
    parser = argparse.ArgumentParser(description="Print a token from the local issuer.")
    parser.add_argument("--role", required=True, choices=sorted(ROLES))
    parser.add_argument("--sub", default=None, help="subject; defaults to <role>@local")
    parser.add_argument("--org", default="agii")
    parser.add_argument("--municipality", default=None)
    parser.add_argument("--scope", default=None, help="space-separated OAuth2 scopes (partners)")
    parser.add_argument("--keys", default=os.environ.get("CIVIC_JWT_KEYS", ".state/jwt"))
    args = parser.parse_args()
    token = mint(
        Path(args.keys),
        [args.role],
        args.sub or f"{args.role}@local",
        args.org,
        args.municipality,
        args.scope,
    )
    print(f"# token for role {args.role}, valid 8 hours")
    print(token)


if __name__ == "__main__":
    main()
