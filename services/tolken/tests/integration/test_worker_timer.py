"""The worker process runs the deadline timer: an offer left unanswered moves on by itself."""

import os
import signal
import subprocess
import sys

import pytest
from sqlalchemy import text

from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.integration


def environment(settings) -> dict[str, str]:
    env = os.environ | {
        f"CIVIC_{name.upper()}": str(
            value.get_secret_value() if hasattr(value, "get_secret_value") else value
        )
        for name, value in settings.model_dump().items()
        if value is not None
    }
    return env | {"CIVIC_TOLKEN_TIMER_SECONDS": "1"}


async def test_the_running_worker_expires_an_overdue_offer_and_asks_the_next_candidate(
    settings_for, tolken, client, auth, lang, org, add_interpreter, request_body, tmp_path
):
    await add_interpreter(lang)
    await add_interpreter(lang)
    created = (
        await client.post(
            "/api/v1/requests", json=request_body(lang, org), headers=auth("interpreter_desk")
        )
    ).json()
    async with tolken.engine.begin() as conn:
        first = await conn.scalar(
            text(
                "UPDATE tolken.offers SET answer_by = now() - interval '1 minute'"
                " WHERE request_id = :r AND status = 'pending' RETURNING interpreter_id"
            ),
            {"r": created["id"]},
        )

    async def moved_on() -> bool:
        async with tolken.engine.connect() as conn:
            return bool(
                await conn.scalar(
                    text(
                        "SELECT interpreter_id <> :first FROM tolken.offers"
                        " WHERE request_id = :r AND status = 'pending'"
                    ),
                    {"r": created["id"], "first": first},
                )
            )

    with (tmp_path / "worker.log").open("w") as log:
        worker = subprocess.Popen(  # noqa: ASYNC220 - started here, stopped below
            [sys.executable, "-m", "civic_common.cli", "tolken", "worker"],
            env=environment(settings_for("tolken")),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        await eventually(moved_on, within=90)
    except AssertionError:
        print((tmp_path / "worker.log").read_text()[-3000:])
        raise
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
