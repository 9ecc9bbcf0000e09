"""Re-seal every webhook secret under the first key of CIVIC_TRAJECTEN_WEBHOOK_SECRET_KEYS,
after an operator prepended a new key (see docs/services/trajecten.md):

    python -m trajecten.reseal

Prints how many subscriptions were re-sealed, and any whose secret opens under no listed key
(those cannot sign either; their partner rotates the secret). A second run re-sealing 0 confirms
that no secret still needs an older key, which may then be dropped from the keyring. Exits 1
when some secret does not open."""

import asyncio
import sys

from trajecten.adapters.sealing import keyring
from trajecten.app.subscriptions import Resealed, reseal_secrets
from trajecten.main import SERVICE


async def run() -> Resealed:
    keys = keyring()  # fails here, naming the variable, before touching the database
    runtime = SERVICE.runtime()
    try:
        async with runtime.uow() as work:
            return await reseal_secrets(work, keys)
    finally:
        await runtime.engine.dispose()


def main() -> None:
    done = asyncio.run(run())
    print(f"re-sealed {done.count} subscription(s) under key {keyring().current!r}")
    for subscription_id in done.unopenable:
        print(f"subscription {subscription_id}: its secret opens under no listed key")
    sys.exit(1 if done.unopenable else 0)


if __name__ == "__main__":
    main()
