"""Webhook deliveries per second from trajecten's durable queue to a local receiver, beside a
bare signed-POST loop (Standard Webhooks signing + httpx POST, same batch concurrency, no
database) in the same run.

An isolated database (removed afterwards) gets one subscription and ``--deliveries`` pending
deliveries over trajectories of ``--per-trajectory`` events each (so order per trajectory is in
play); the delivery loop claims, opens the sealed secret, signs, posts and records them in
batches. The receiver verifies nothing (both sides pay the same for it) and runs in a process of
its own.

    .venv/bin/python bench/partner_delivery.py [--deliveries 2000] [--per-trajectory 4] [--rounds 3]
"""

import argparse
import asyncio
import base64
import contextlib
import json
import multiprocessing
import os
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI, Response
from standardwebhooks import Webhook

REPO = Path(__file__).resolve().parents[1]


RECEIVER = FastAPI()


@RECEIVER.post("/hook")
async def hook() -> Response:
    return Response(status_code=204)


@contextlib.asynccontextmanager
async def receiver(port: int) -> AsyncIterator[None]:
    """The receiver in a process of its own, so it does not share an event loop with either
    side being measured."""
    process = multiprocessing.Process(
        target=uvicorn.run,
        args=(RECEIVER,),
        kwargs={"host": "127.0.0.1", "port": port, "log_level": "warning", "access_log": False},
        daemon=True,
    )
    process.start()
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(200):
                with contextlib.suppress(httpx.HTTPError):
                    await client.post(f"http://127.0.0.1:{port}/hook")
                    break
                await asyncio.sleep(0.05)
        yield
    finally:
        process.terminate()
        process.join()


async def baseline(url: str, secret: str, count: int, batch: int) -> float:
    hook = Webhook(secret)
    async with httpx.AsyncClient(timeout=10) as client:

        async def post(i: int) -> None:
            body = json.dumps({"id": str(uuid.uuid4()), "type": "bench", "data": {"i": i}})
            at = datetime.now(UTC)
            msg_id = f"msg_{uuid.uuid4().hex}"
            response = await client.post(
                url,
                content=body,
                headers={
                    "content-type": "application/json",
                    "webhook-id": msg_id,
                    "webhook-timestamp": str(int(at.timestamp())),
                    "webhook-signature": hook.sign(msg_id, at, body),
                },
            )
            response.raise_for_status()

        started = time.perf_counter()
        for first in range(0, count, batch):
            await asyncio.gather(*(post(i) for i in range(first, min(first + batch, count))))
        return time.perf_counter() - started


async def run(args: argparse.Namespace) -> None:
    from sqlalchemy import func, insert, select, update

    from civic_common.auth.issuer import ensure_keys
    from civic_common.db.migrate import upgrade
    from civic_common.testing.infra import local_infra
    from civic_common.testing.plugin import free_port, isolated_environment, isolated_settings
    from trajecten.adapters.sealing import keyring
    from trajecten.adapters.subscriptions import deliveries, partner_events, subscriptions
    from trajecten.app.delivery import DeliveryLoop
    from trajecten.app.subscriptions import new_secret
    from trajecten.main import SERVICE
    from trajecten.settings import TrajectenSettings

    infra = local_infra(REPO)
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    secret = new_secret()
    settings = TrajectenSettings(webhooks_allow_private=True)  # the receiver is on loopback
    with tempfile.TemporaryDirectory() as keys_dir:
        keys = Path(keys_dir)
        ensure_keys(keys)
        async with isolated_environment(infra) as (db, prefix), receiver(port):
            runtime = SERVICE.runtime(isolated_settings(infra, db, prefix, keys, "trajecten"))
            await upgrade(runtime.engine, runtime.migrations, "trajecten")
            now = datetime.now(UTC)
            sub_id = uuid.uuid4()
            async with runtime.engine.begin() as conn:
                await conn.execute(
                    insert(subscriptions).values(
                        id=sub_id,
                        organisation="vdab-bench",  # component events: VDAB's basis
                        created_by="bench",
                        scope_vdab=True,
                        endpoint_url=url,
                        event_types=["trajecten.trajectory.component-started.v1"],
                        filters={"municipalities": [], "kinds": []},
                        legal_basis="vdab-arbeidsmarktactivering",
                        sealed_secret=keyring(settings).seal(secret, sub_id),
                        status="active",
                    )
                )
                events, rows = [], []
                for i in range(args.deliveries):
                    trajectory = uuid.UUID(int=i // args.per_trajectory + 1)
                    events.append(
                        {
                            "id": i + 1,
                            "event_id": uuid.uuid4(),
                            "event_type": "trajecten.trajectory.component-started.v1",
                            "trajectory_id": trajectory,
                            "person_id": uuid.uuid4(),
                            "sequence": i % args.per_trajectory + 1,
                            "occurred_at": now,
                            "data": {"trajectory_id": str(trajectory), "component": "guidance",
                                     "actor": "bench", "occurred_at": now.isoformat()},
                        }
                    )  # fmt: skip
                    rows.append(
                        {
                            "id": uuid.uuid4(),
                            "subscription_id": sub_id,
                            "event_pk": i + 1,
                            "trajectory_id": trajectory,
                            "sequence": i % args.per_trajectory + 1,
                            "status": "pending",
                            "next_attempt_at": now,
                        }
                    )
                await conn.execute(insert(partner_events), events)
                await conn.execute(insert(deliveries), rows)

            # Warm up the receiver and the connection pool first, so neither side pays for it.
            await baseline(url, secret, 4 * settings.delivery_batch, settings.delivery_batch)
            # Rounds alternate the two sides; the best of each counts (the machine is shared).
            bares, reals, delivered = [], [], 0
            for _ in range(args.rounds):
                bares.append(await baseline(url, secret, args.deliveries, settings.delivery_batch))
                async with runtime.engine.begin() as conn:
                    await conn.execute(update(deliveries).values(status="pending", attempts=0))
                loop = DeliveryLoop(runtime, settings)
                started = time.perf_counter()
                try:
                    while await loop.run_once():
                        pass
                finally:
                    await loop.close()
                reals.append(time.perf_counter() - started)
                async with runtime.engine.connect() as conn:
                    delivered = await conn.scalar(
                        select(func.count()).where(deliveries.c.status == "delivered")
                    )
                if delivered != args.deliveries:
                    break
            await runtime.engine.dispose()

    if delivered != args.deliveries:
        print(f"only {delivered} of {args.deliveries} delivered", file=sys.stderr)
        sys.exit(1)
    bare, real = min(bares), min(reals)
    bare_rate, real_rate = args.deliveries / bare, args.deliveries / real
    print(f"deliveries: {args.deliveries:,} ({args.per_trajectory} per trajectory, batches of "
          f"{settings.delivery_batch}; best of {args.rounds} alternating rounds)")  # fmt: skip
    print(f"baseline bare signed POST loop: {bare:.2f} s, {bare_rate:,.0f} deliveries/s")
    print(f"trajecten delivery loop (claim, sign, POST, log): {real:.2f} s, {real_rate:,.0f}/s")
    print(f"ratio delivery loop/baseline: {real_rate / bare_rate:.2f}")


def main() -> None:
    # Secrets are sealed at rest; a keyring of this run's own unless one is configured.
    os.environ.setdefault(
        "CIVIC_TRAJECTEN_WEBHOOK_SECRET_KEYS",
        "bench:" + base64.b64encode(secrets.token_bytes(32)).decode(),
    )
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--per-trajectory", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
