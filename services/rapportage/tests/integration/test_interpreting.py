"""Interpreter requests by language and modality, share fulfilled and lead time."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from civic_common.events.contracts.tolken import (
    RequestAssigned,
    RequestCompleted,
    RequestReceived,
    RequestUnfulfilled,
)

pytestmark = pytest.mark.integration


async def test_requests_per_language_and_modality_with_share_fulfilled_and_lead_time(
    events, client, auth
):
    language = f"x{uuid.uuid4().hex[:3]}"  # a language of this test's own
    received = datetime.now(UTC) - timedelta(hours=2)
    ids = [uuid.uuid4() for _ in range(3)]

    def request(request_id: uuid.UUID) -> RequestReceived:
        return RequestReceived(
            request_id=request_id,
            kind="interpreting",
            organisation="OCMW Genk",
            language=language,
            modality="phone",
            subject_category="trajectbegeleiding",
            urgent=False,
            received_at=received,
        )

    interpreter = uuid.uuid4()
    assigned = [
        RequestAssigned(request_id=r, assignment_id=uuid.uuid4(), interpreter_id=interpreter,
                        language=language, modality="phone", by_desk=False)
        for r in ids[:2]
    ]  # fmt: skip
    await events.deliver(
        *[(request(r), str(r), 1) for r in ids],
        *[(a, str(a.request_id), 2) for a in assigned],
        (RequestCompleted(request_id=ids[0], interpreter_id=interpreter, actual_minutes=45,
                          completed_at=datetime.now(UTC)), str(ids[0]), 3),
        (RequestUnfulfilled(request_id=ids[2], language=language, modality="phone",
                            reason="geen tolk"), str(ids[2]), 2),
    )  # fmt: skip
    report = await client.get("/api/v1/reports/interpreter-requests", headers=auth("analyst"))
    [row] = [r for r in report.json()["tables"][0]["rows"] if r["language"] == language]
    assert row["modality"] == "telefonisch"
    assert (row["requests"], row["fulfilled"], row["unfulfilled"]) == (3, 2, 1)
    assert row["share_fulfilled"] == 66.7
    assert 1.9 <= row["lead_time_hours"] <= 2.2
