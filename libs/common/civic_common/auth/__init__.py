"""Bearer-token identity: validation against the issuer's JWKS, roles, and the local issuer."""
