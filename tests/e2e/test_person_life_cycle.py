"""What happens to a person at the counter reaches trajecten and the partners, through the
running system (HTTP and Kafka, the real workers): corrections of nationality and residence
category set the target group, a correction to an EU citizen ends the obligation (no referral),
a move takes the trajectory and the partner scope to the new municipality from that moment on,
and an erasure leaves trajecten and the partner feed with nothing of the person."""

import asyncio
import json
import uuid
from datetime import date, timedelta

import asyncpg
import httpx
import pytest

from civic_common.db.engine import asyncpg_dsn
from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.e2e

# Municipalities no other e2e registers people in (the walking skeleton counts its own).
OLD_HOME, NEW_HOME = "44020", "44052"  # Gavere, Oosterzele
BASIS = "ocmw-maatschappelijke-integratie"
TYPES = ["trajecten.trajectory.opened.v1", "trajecten.trajectory.stopped.v1"]  # OCMW: thin
ERASED = "trajecten.person.erased.v1"
SCOPES = " ".join(["trajecten.feed:read", *(f"events:{t}" for t in TYPES)])


class Case:
    """One newcomer, followed through intake's and trajecten's APIs."""

    def __init__(self, http: httpx.AsyncClient, system, auth) -> None:
        self.http, self.system = http, system
        self.counter = auth("counter")
        self.counsellor = auth("counsellor", "els@agii", organisation="agii")
        self.person: dict = {}

    async def register(self, **fields: object) -> None:
        answer = await self.http.post(
            f"{self.system.urls['intake']}/api/v1/persons",
            json={
                "given_name": "Lina",
                "family_name": f"Levensloop-{uuid.uuid4().hex[:6]}",
                "birth_date": "1992-06-11",
                "municipality_nis": OLD_HOME,
                "languages": ["fa"],
            }
            | fields,
            headers=self.counter,
        )
        assert answer.status_code == 201, answer.text
        self.person = answer.json()

    async def correct(self, **fields: object) -> dict:
        answer = await self.http.patch(
            f"{self.system.urls['intake']}/api/v1/persons/{self.person['id']}",
            json=fields,
            headers=self.counter | {"If-Match": f'"{self.person["version"]}"'},
        )
        assert answer.status_code == 200, answer.text
        self.person = answer.json()
        return self.person

    async def trajectories(self) -> list[dict]:
        found = await self.http.get(
            f"{self.system.urls['trajecten']}/api/v1/trajectories",
            params={"person_id": self.person["id"]},
            headers=self.counsellor,
        )
        assert found.status_code == 200, found.text
        return found.json()

    async def trajectory_where(self, **expected: object) -> dict:
        async def probe() -> dict | None:
            found = await self.trajectories()
            if found and all(found[0].get(k) == v for k, v in expected.items()):
                return found[0]
            return None

        return await eventually(probe, within=60)

    async def timeline(self, trajectory_id: str) -> list[dict]:
        answer = await self.http.get(
            f"{self.system.urls['trajecten']}/api/v1/trajectories/{trajectory_id}/timeline",
            headers=self.counsellor,
        )
        return answer.json()


async def _trajecten_db(system) -> asyncpg.Connection:
    return await asyncpg.connect(asyncpg_dsn(system.db.url("trajecten")))


async def test_corrections_set_and_end_the_obligation(system, auth):
    async with httpx.AsyncClient(timeout=15) as http:
        case = Case(http, system, auth)
        await case.register()  # nationality and residence not known yet
        trajectory = await case.trajectory_where(target_group=None)

        corrected = await case.correct(nationality="SY", residence_category="recognised_refugee")
        assert corrected["target_group"] == "obligated"
        trajectory = await case.trajectory_where(target_group="obligated")
        entries = [e for e in await case.timeline(trajectory["id"]) if e["action"] == "correct"]
        assert entries[-1]["details"]["target_group"] == {"from": None, "to": "obligated"}

        corrected = await case.correct(nationality="FR", residence_category="eu_citizen")
        assert corrected["target_group"] != "obligated"
        trajectory = await case.trajectory_where(target_group=corrected["target_group"])

        # No longer obligated: past deadlines are not referred (the check runs every 2 s).
        conn = await _trajecten_db(system)
        try:
            await conn.execute(
                "UPDATE trajecten.components SET deadline = $2 "
                "WHERE trajectory_id = $1 AND deadline IS NOT NULL",
                uuid.UUID(trajectory["id"]),
                date.today() - timedelta(days=30),
            )
        finally:
            await conn.close()
        await asyncio.sleep(6)
        timeline = await case.timeline(trajectory["id"])
        assert not [e for e in timeline if e["action"] == "deadline_missed"]


async def test_a_move_takes_the_trajectory_and_the_partner_scope_along(system, auth, partner_token):
    old_ocmw = await partner_token("ocmw-gavere", SCOPES, municipality=OLD_HOME)
    new_ocmw = await partner_token("ocmw-oosterzele", SCOPES, municipality=NEW_HOME)
    trajecten = system.urls["trajecten"]
    async with httpx.AsyncClient(timeout=15) as http:
        case = Case(http, system, auth)
        await case.register()
        before = await case.trajectory_where(municipality_nis=OLD_HOME)

        await case.correct(municipality_nis=NEW_HOME)
        moved = await case.trajectory_where(municipality_nis=NEW_HOME)
        moves = [e for e in await case.timeline(moved["id"]) if e["action"] == "correct"]
        assert moves[-1]["details"]["municipality_nis"] == {"from": OLD_HOME, "to": NEW_HOME}

        stopped = await http.post(
            f"{trajecten}/api/v1/trajectories/{moved['id']}/transitions",
            json={"action": "stop", "reason": "naar het buitenland", "reason_code": "left_belgium"},
            headers=case.counsellor | {"If-Match": f'"{moved["version"]}"'},
        )
        assert stopped.status_code == 200, stopped.text

        async def feed(headers: dict) -> list[str]:
            answer = await http.get(
                f"{trajecten}/partners/v1/feed",
                params=[("legal_basis", BASIS), ("limit", 200)]
                + [("event_types", t) for t in TYPES],
                headers=headers,
            )
            assert answer.status_code == 200, answer.text
            return [
                item["type"]
                for item in answer.json()["items"]
                if item["trajectory_id"] == before["id"]
            ]

        # The old OCMW had the opening, while the person lived there; the new one what came after.
        assert await eventually(lambda: feed(new_ocmw), within=30) == [
            "trajecten.trajectory.stopped.v1"
        ]
        assert await feed(old_ocmw) == ["trajecten.trajectory.opened.v1"]


async def test_an_erasure_leaves_nothing_in_trajecten_or_the_partner_feed(
    system, auth, partner_token
):
    old_ocmw = await partner_token("ocmw-gavere-2", SCOPES, municipality=OLD_HOME)
    async with httpx.AsyncClient(timeout=15) as http:
        case = Case(http, system, auth)
        await case.register()
        trajectory = await case.trajectory_where(municipality_nis=OLD_HOME)

        async def in_feed() -> bool:
            answer = await http.get(
                f"{system.urls['trajecten']}/partners/v1/feed",
                params=[("legal_basis", BASIS), ("event_types", TYPES[0]), ("limit", 200)],
                headers=old_ocmw,
            )
            return any(
                i["trajectory_id"] == trajectory["id"] and i["type"] != ERASED
                for i in answer.json()["items"]
            )

        assert await eventually(in_feed, within=30)
        erased = await http.post(
            f"{system.urls['intake']}/api/v1/persons/{case.person['id']}/erasure",
            json={"reason": "verzoek van de persoon"},
            headers=auth("admin", "dpo@agii"),
        )
        assert erased.status_code == 200, erased.text

        async def gone() -> bool:
            return await case.trajectories() == [] and not await in_feed()

        assert await eventually(gone, within=60)
        conn = await _trajecten_db(system)
        try:
            person = uuid.UUID(case.person["id"])
            left = {
                table: await conn.fetchval(
                    f"SELECT count(*) FROM trajecten.{table} WHERE person_id = $1",
                    person,
                )
                for table in ("trajectories", "partner_events")
            }
            # What stays is the erasure notice in the feed of the partner that read the
            # person there (GDPR art. 19): their id and the moment, addressed to it alone.
            notices = await conn.fetch(
                "SELECT addressee, data FROM trajecten.partner_events"
                " WHERE person_id = $1 AND event_type = $2",
                person,
                ERASED,
            )
            left["components"] = await conn.fetchval(
                "SELECT count(*) FROM trajecten.components WHERE trajectory_id = $1",
                uuid.UUID(trajectory["id"]),
            )
        finally:
            await conn.close()
        assert [n["addressee"] for n in notices] == ["ocmw-gavere-2"]
        assert set(json.loads(notices[0]["data"])) == {"person_id", "erased_at"}
        assert left == {"trajectories": 0, "partner_events": len(notices), "components": 0}


async def _fetchrow(system, service: str, query: str, *args: object) -> asyncpg.Record | None:
    conn = await asyncpg.connect(asyncpg_dsn(system.db.url(service)))
    try:
        return await conn.fetchrow(query, *args)
    finally:
        await conn.close()


async def test_corrections_and_an_erasure_reach_tolken_and_rapportage(system, auth):
    """The same person through the interpreter desk's and the analysts' services: a correction
    of languages, municipality and nationality is what tolken and rapportage then hold, and an
    erasure leaves tolken no profile and rapportage only a pseudonym."""
    async with httpx.AsyncClient(timeout=15) as http:
        case = Case(http, system, auth)
        await case.register(interpreter_language="fa")
        person = uuid.UUID(case.person["id"])
        desk = auth("interpreter_desk")

        async def profile() -> dict | None:
            answer = await http.get(
                f"{system.urls['tolken']}/api/v1/language-profiles/{person}", headers=desk
            )
            return answer.json() if answer.status_code == 200 else None

        async def facts() -> asyncpg.Record | None:
            return await _fetchrow(
                system,
                "rapportage",
                "SELECT municipality_nis, nationality, interpreter_language "
                "FROM rapportage.intakes WHERE person_id = $1",
                person,
            )

        assert (await eventually(profile, within=60))["interpreter_language"] == "fa"
        await eventually(facts, within=60)

        await case.correct(
            interpreter_language="ar", languages=["ar"], municipality_nis=NEW_HOME, nationality="IQ"
        )

        async def corrected_profile() -> dict | None:
            found = await profile()
            return found if found and found["interpreter_language"] == "ar" else None

        async def corrected_facts() -> asyncpg.Record | None:
            row = await facts()
            return row if row and row["municipality_nis"] == NEW_HOME else None

        await eventually(corrected_profile, within=60)
        row = await eventually(corrected_facts, within=60)
        assert (row["nationality"], row["interpreter_language"]) == ("IQ", "ar")

        erased = await http.post(
            f"{system.urls['intake']}/api/v1/persons/{person}/erasure",
            json={"reason": "verzoek van de persoon"},
            headers=auth("admin", "dpo@agii"),
        )
        assert erased.status_code == 200, erased.text

        async def gone() -> bool:
            return await profile() is None and await facts() is None

        assert await eventually(gone, within=60)
        stored = await _fetchrow(
            system,
            "tolken",
            "SELECT count(*) AS n FROM tolken.language_profiles WHERE person_id = $1",
            person,
        )
        assert stored["n"] == 0
