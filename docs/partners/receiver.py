"""An example webhook receiver for trajecten's partner webhooks (docs/partners.md).

    pip install standardwebhooks
    WEBHOOK_SECRET=whsec_... PORT=8080 python receiver.py

It verifies every request (signature and timestamp, Standard Webhooks), answers 2xx quickly,
ignores a message it already has (the webhook-id is the same on every retry and resend), notices
an arrival out of order (webhook-previous-id, webhook-out-of-order) and keeps test events apart.
Each accepted message is printed as one JSON line; a real receiver would queue it instead.
"""

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Lock

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

# During a secret rotation both the new and the previous secret sign (space-separated
# signatures); a receiver holding either one verifies. List the new one first.
SECRETS = [s for s in os.environ["WEBHOOK_SECRET"].split(",") if s]
MAX_BODY = 1_000_000

seen: set[str] = set()  # webhook-ids handled (keep these in your database in production)
last_by_trajectory: dict[str, str] = {}  # trajectory id -> webhook-id of the last one handled
lock = Lock()


def verify(body: bytes, headers: dict[str, str]) -> dict:
    for secret in SECRETS:
        try:
            return Webhook(secret).verify(body, headers)
        except WebhookVerificationError:
            continue
    raise WebhookVerificationError("no secret verifies this message")


def trajectory_of(message: dict, headers: dict[str, str]) -> str | None:
    """Standard Webhooks body: trajectory_id; a CloudEvent: its subject (header or body)."""
    return message.get("trajectory_id") or message.get("subject") or headers.get("ce-subject")


class Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY:
            self.send_response(413)
            self.end_headers()
            return
        body = self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            message = verify(body, headers)
        except WebhookVerificationError:
            self.send_response(401)  # not from trajecten, or too old: never act on it
            self.end_headers()
            return
        msg_id = headers["webhook-id"]
        with lock:
            duplicate = msg_id in seen
            seen.add(msg_id)
            trajectory = trajectory_of(message, headers)
            previous = headers.get("webhook-previous-id")
            in_order = headers.get("webhook-out-of-order") != "true" and (
                previous is None or last_by_trajectory.get(trajectory) in (None, previous)
            )
            if not duplicate and trajectory and in_order:
                last_by_trajectory[trajectory] = msg_id
        if not duplicate:
            print(
                json.dumps(
                    {
                        "webhook_id": msg_id,
                        "test": headers.get("webhook-test") == "true",
                        "in_order": in_order,
                        "message": message,
                    }
                ),
                flush=True,
            )
        self.send_response(204)  # 2xx also for a duplicate: it was handled before
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # quiet access log
        pass


def main() -> None:
    port = int(os.environ.get("PORT", "8080"))
    server = ThreadingHTTPServer(("127.0.0.1", port), Hook)
    print(json.dumps({"listening": port}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.server_close()
        sys.exit(0)


if __name__ == "__main__":
    main()
