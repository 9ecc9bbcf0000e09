"""A webhook-secret keyring of this run's own, before any test or app reads the settings (the
e2e system gets one through its own environment)."""

import base64
import os
import secrets

os.environ.setdefault(
    "CIVIC_TRAJECTEN_WEBHOOK_SECRET_KEYS",
    "test:" + base64.b64encode(secrets.token_bytes(32)).decode(),
)
