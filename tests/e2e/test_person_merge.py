"""Two records of one person merged at the counter, through the running system (HTTP, Kafka and
every service's worker): the same newcomer registered twice (once without INSZ, once with), an
interpreting request on the second record, then the merge. Afterwards intake leads from the old
record to the survivor and shows it nowhere else; trajecten holds both trajectories under the
survivor, flagged because both are open; tolken's request and profile follow; rapportage counts
the newcomer once in its indicators while the monthly counts already made stay."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from civic_common.db.engine import asyncpg_dsn
from civic_common.testing.browser import DESKTOP, axe_source, check_page
from civic_common.testing.keycloak import DEMO_USERS, sign_in_at_keycloak
from civic_common.testing.waiting import eventually
from intake.domain.insz import make_insz

pytestmark = pytest.mark.e2e

# Asse: no other e2e registers people here, so its counts are the first test's; the page test
# registers in Beersel.
ASSE, BEERSEL = "23002", "23003"
BORN = "1989-05-17"


async def _fetch(system, service: str, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(asyncpg_dsn(system.db.url(service)))
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def test_two_records_of_one_person_merge_with_their_trajectories_requests_and_counts(
    system, auth
):
    intake, trajecten = system.urls["intake"], system.urls["trajecten"]
    tolken, rapportage = system.urls["tolken"], system.urls["rapportage"]
    counter, desk = auth("counter"), auth("interpreter_desk")
    counsellor = auth("counsellor", "els@agii", organisation="agii")
    family = f"Samen-{uuid.uuid4().hex[:6]}"
    newcomer = {
        "given_name": "Yusuf",
        "family_name": family,
        "birth_date": BORN,
        "municipality_nis": ASSE,
        "nationality": "SY",
        "residence_category": "recognised_refugee",
        "languages": ["ar"],
    }
    async with httpx.AsyncClient(timeout=20) as http:
        # Last year's registration, without INSZ: the record that stays.
        first = await http.post(f"{intake}/api/v1/persons", json=newcomer, headers=counter)
        assert first.status_code == 201, first.text
        survivor = first.json()
        # This year, with INSZ and an interpreter need; the duplicate check stopped the counter,
        # who (wrongly) confirmed someone else.
        again = newcomer | {
            "family_name": family,
            "insz": make_insz(datetime.fromisoformat(BORN).date(), 37),
            "interpreter_language": "ar",
            "street": "Kerkstraat",
        }
        stopped = await http.post(f"{intake}/api/v1/persons", json=again, headers=counter)
        assert stopped.status_code == 409, stopped.text
        assert [c["id"] for c in stopped.json()["candidates"]] == [survivor["id"]]
        second = await http.post(
            f"{intake}/api/v1/persons", json=again | {"confirm_new_person": True}, headers=counter
        )
        assert second.status_code == 201, second.text
        other = second.json()
        ids = {uuid.UUID(survivor["id"]), uuid.UUID(other["id"])}

        async def trajectories(person_id: str) -> list[dict]:
            answer = await http.get(
                f"{trajecten}/api/v1/trajectories",
                params={"person_id": person_id},
                headers=counsellor,
            )
            assert answer.status_code == 200, answer.text
            return answer.json()

        async def both_opened() -> bool:
            return all([await trajectories(survivor["id"]), await trajectories(other["id"])])

        await eventually(both_opened, within=60)
        [moving] = await trajectories(other["id"])

        starts = datetime.now(UTC) + timedelta(days=5)
        request = await http.post(
            f"{tolken}/api/v1/requests",
            json={
                "organisation": "OCMW Asse",
                "language": "ar",
                "modality": "phone",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=1)).isoformat(),
                "subject_category": "trajectbegeleiding",
                "person_id": other["id"],
            },
            headers=desk,
        )
        assert request.status_code == 201, request.text
        request_id = request.json()["id"]

        async def profile(person_id: str) -> int:
            answer = await http.get(f"{tolken}/api/v1/language-profiles/{person_id}", headers=desk)
            return answer.status_code

        async def profiles_made() -> bool:
            return {await profile(survivor["id"]), await profile(other["id"])} == {200}

        await eventually(profiles_made, within=60)

        async def intakes() -> set[uuid.UUID]:
            rows = await _fetch(
                system,
                "rapportage",
                "SELECT person_id FROM rapportage.intakes WHERE municipality_nis = $1",
                ASSE,
            )
            return {r["person_id"] for r in rows}

        async def both_counted() -> bool:
            return await intakes() == ids

        await eventually(both_counted, within=60)

        async def trajectories_counted() -> bool:
            rows = await _fetch(
                system,
                "rapportage",
                "SELECT person_id FROM rapportage.trajectories WHERE person_id = ANY($1)",
                list(ids),
            )
            return len(rows) == 2

        await eventually(trajectories_counted, within=60)

        # Refused: a record with itself; then the merge itself.
        merges = f"{intake}/api/v1/persons/{survivor['id']}/merges"
        body = {
            "other": other["id"],
            "other_version": other["version"],
            "choices": {"street": "other"},
            "reason": "dubbel geregistreerd, eerst zonder INSZ",
        }
        itself = await http.post(
            merges,
            json=body | {"other": survivor["id"]},
            headers=counter | {"If-Match": f'"{survivor["version"]}"'},
        )
        assert itself.status_code == 409, itself.text
        assert itself.headers["content-type"] == "application/problem+json"
        check = await http.get(f"{merges}/check", params={"other": other["id"]}, headers=counter)
        assert check.status_code == 200, check.text
        assert check.json()["allowed"] is True
        differing = {f["field"]: f["default"] for f in check.json()["fields"] if f["differs"]}
        assert differing == {
            "insz": "other",
            "street": "other",
            "interpreter_language": "other",
        }
        merged = await http.post(
            merges, json=body, headers=counter | {"If-Match": f'"{survivor["version"]}"'}
        )
        assert merged.status_code == 200, merged.text
        kept = merged.json()["survivor"]
        assert kept["insz"] == again["insz"] and kept["street"] == "Kerkstraat"
        assert kept["interpreter_language"] == "ar"
        assert sorted(merged.json()["taken_from_other"]) == [
            "insz",
            "interpreter_language",
            "street",
        ]
        twice = await http.post(
            merges, json=body, headers=counter | {"If-Match": f'"{kept["version"]}"'}
        )
        assert twice.status_code == 409 and "al samengevoegd" in twice.json()["detail"]

        # Intake: the old record leads to the survivor and is found nowhere else.
        old = await http.get(f"{intake}/api/v1/persons/{other['id']}", headers=counter)
        assert old.status_code == 301
        assert old.headers["location"] == f"/api/v1/persons/{survivor['id']}"
        found = await http.get(
            f"{intake}/api/v1/persons", params={"name": f"Yusuf {family}"}, headers=counter
        )
        assert [p["id"] for p in found.json()["items"]] == [survivor["id"]]
        third = await http.post(f"{intake}/api/v1/persons", json=newcomer, headers=counter)
        assert third.status_code == 409
        assert [c["id"] for c in third.json()["candidates"]] == [survivor["id"]]
        history = await http.get(
            f"{intake}/api/v1/persons/{survivor['id']}/history", headers=counter
        )
        last = history.json()[-1]
        assert last["action"] == "merged"
        assert {"field": "merged_from", "old": None, "new": other["id"]} in last["changes"]

        # Trajecten: both trajectories are the survivor's, both open, each flagging the other.
        async def moved() -> list[dict] | None:
            held = await trajectories(survivor["id"])
            return held if len(held) == 2 else None

        held = await eventually(moved, within=60)
        assert await trajectories(other["id"]) == []
        assert {t["status"] for t in held} == {"open"}

        async def timeline(trajectory_id: str) -> list[dict]:
            answer = await http.get(
                f"{trajecten}/api/v1/trajectories/{trajectory_id}/timeline", headers=counsellor
            )
            return answer.json()

        [entry] = [e for e in await timeline(moving["id"]) if e["action"] == "merge_person"]
        assert entry["details"]["from_person"] == other["id"]
        assert entry["details"]["to_person"] == survivor["id"]
        [staying] = [t for t in held if t["id"] != moving["id"]]
        assert entry["details"]["also_open"] == [staying["id"]]
        flags = [e for e in await timeline(staying["id"]) if e["action"] == "duplicate_open"]
        assert [f["details"]["also_open"] for f in flags] == [[moving["id"]]]

        # Tolken: the request follows the person; the old record's profile is gone.
        async def request_moved() -> bool:
            answer = await http.get(f"{tolken}/api/v1/requests/{request_id}", headers=desk)
            return answer.json()["person_id"] == survivor["id"]

        await eventually(request_moved, within=60)

        async def old_profile_gone() -> bool:
            return await profile(other["id"]) == 404

        await eventually(old_profile_gone, within=60)
        survivor_profile = await http.get(
            f"{tolken}/api/v1/language-profiles/{survivor['id']}", headers=desk
        )

        # The survivor's profile follows intake's correction: the interpreter need it took over.
        async def profile_corrected() -> bool:
            answer = await http.get(
                f"{tolken}/api/v1/language-profiles/{survivor['id']}", headers=desk
            )
            return answer.json().get("interpreter_language") == "ar"

        assert survivor_profile.status_code == 200
        await eventually(profile_corrected, within=60)

        # Rapportage: the newcomer counts once in the indicators, with both trajectories; the
        # monthly counts made at registration stay as they were.
        async def counted_once() -> bool:
            return await intakes() == {uuid.UUID(survivor["id"])}

        await eventually(counted_once, within=60)
        owners = await _fetch(
            system,
            "rapportage",
            "SELECT DISTINCT person_id FROM rapportage.trajectories WHERE person_id = ANY($1)",
            list(ids),
        )
        assert {r["person_id"] for r in owners} == {uuid.UUID(survivor["id"])}
        month = datetime.now(UTC).strftime("%Y-%m")
        counts = await http.get(
            f"{rapportage}/api/v1/reports/monthly-counts",
            params={"from_month": month, "to_month": month, "municipality_nis": ASSE},
            headers=auth("analyst"),
        )
        assert counts.status_code == 200, counts.text
        assert [c["intakes"] for c in counts.json()] == [2]


async def test_the_counter_merges_two_records_on_the_pages(system, keycloak, browser, auth):
    """From the person's page: "Samenvoegen met…", pick the other record, compare side by side
    and choose, confirm with a reason (asked for when left empty), done; the old record's page
    leads to the survivor, and merging again is refused in plain Dutch. Every page passes axe,
    the Enter check and 390 px."""
    intake = system.urls["intake"]
    family = f"Pagina-{uuid.uuid4().hex[:6]}"
    newcomer = {
        "given_name": "Mariam",
        "family_name": family,
        "birth_date": "1994-02-03",
        "municipality_nis": BEERSEL,
        "languages": ["ar"],
    }
    async with httpx.AsyncClient(timeout=20) as http:
        first = await http.post(f"{intake}/api/v1/persons", json=newcomer, headers=auth("counter"))
        second = await http.post(
            f"{intake}/api/v1/persons",
            json=newcomer | {"street": "Molenstraat", "confirm_new_person": True},
            headers=auth("counter"),
        )
        assert first.status_code == second.status_code == 201, (first.text, second.text)
        survivor, other = first.json()["id"], second.json()["id"]

        async def both_opened() -> bool:  # trajecten opened one trajectory for each record
            for person_id in (survivor, other):
                answer = await http.get(
                    f"{system.urls['trajecten']}/api/v1/trajectories",
                    params={"person_id": person_id},
                    headers=auth("counsellor"),
                )
                if not answer.json():
                    return False
            return True

        await eventually(both_opened, within=60)
    axe, problems = axe_source(), []
    context = await browser.new_context(locale="nl-BE", viewport=DESKTOP)
    page = await context.new_page()
    try:
        await page.goto(f"{intake}/personen/{survivor}")
        await sign_in_at_keycloak(page, DEMO_USERS["counter"])
        await page.wait_for_url(f"{intake}/personen/{survivor}")
        await page.click("#samenvoegen-link")
        await page.wait_for_url(f"**/personen/{survivor}/samenvoegen")
        assert await page.input_value("#name") == f"Mariam {family}"
        await check_page(page, axe, problems)

        # The search shows the other record (never the person themselves); Enter searches.
        await page.fill("#name", f"Mariam {family}")
        await page.press("#name", "Enter")
        await page.wait_for_url("**/samenvoegen?**")
        assert await page.locator(f"a[href='/personen/{survivor}/samenvoegen/{other}']").count()
        assert await page.locator(f"a[href$='/samenvoegen/{survivor}']").count() == 0
        await page.click(f"a[href='/personen/{survivor}/samenvoegen/{other}']")
        await page.wait_for_url(f"**/samenvoegen/{other}")
        await check_page(page, axe, problems)
        # Only the street differs: the survivor has none, so the other's is kept by default.
        assert await page.locator("tr.differs").count() == 1
        assert await page.is_checked("#keuze_street-other")
        await page.click("text=Verder naar bevestigen")
        await page.wait_for_url("**/bevestigen?**")
        assert "Molenstraat" in await page.inner_text("#bewaard-street")
        await check_page(page, axe, problems)

        await page.click("text=Definitief samenvoegen")  # no reason: asked for, nothing done
        await page.wait_for_selector("#fouten")
        assert await page.locator("#reason-error").count() == 1
        await page.fill("#reason", "dubbel geregistreerd aan het onthaal")
        await page.click("text=Definitief samenvoegen")
        await page.wait_for_url(f"**/personen/{survivor}/samengevoegd/{other}")
        assert await page.inner_text("h1") == "De dossiers zijn samengevoegd"
        await check_page(page, axe, problems)

        # The old record's address leads to the survivor, which now has the street.
        await page.goto(f"{intake}/personen/{other}")
        await page.wait_for_url(f"**/personen/{survivor}?samengevoegd=1")
        assert "samengevoegd" in await page.inner_text("p.notice")
        assert await page.input_value("#street") == "Molenstraat"
        await check_page(page, axe, problems)

        refused = await page.goto(f"{intake}/personen/{survivor}/samenvoegen/{other}")
        assert refused is not None and refused.status == 409
        assert "al samengevoegd" in await page.inner_text("#weigering")
        await check_page(page, axe, problems)
    finally:
        await context.close()

    # The counsellor sees on the moved trajectory's timeline where it came from and the other
    # open trajectory of the same person to choose between.
    async with httpx.AsyncClient(timeout=20) as http:

        async def both_moved() -> list[dict] | None:
            answer = await http.get(
                f"{system.urls['trajecten']}/api/v1/trajectories",
                params={"person_id": survivor},
                headers=auth("counsellor"),
            )
            held = answer.json()
            return held if len(held) == 2 else None

        held = await eventually(both_moved, within=60)
    trajecten = system.urls["trajecten"]
    context = await browser.new_context(locale="nl-BE", viewport=DESKTOP)
    page = await context.new_page()
    try:
        for trajectory in held:
            await page.goto(f"{trajecten}/trajecten/{trajectory['id']}")
            if page.url.startswith(keycloak.issuer):
                await sign_in_at_keycloak(page, DEMO_USERS["counsellor"])
                await page.wait_for_url(f"{trajecten}/trajecten/{trajectory['id']}")
            [twin] = [t["id"] for t in held if t["id"] != trajectory["id"]]
            # The moved one says where it came from, the survivor's one warns; each links the twin.
            entry = page.locator(
                f"li.merge_person:has(a[href='/trajecten/{twin}']),"
                f" li.duplicate_open:has(a[href='/trajecten/{twin}'])"
            )
            assert await entry.count() == 1
            assert re.search("Dossiers samengevoegd|stop er één", await entry.inner_text())
            await check_page(page, axe, problems)
    finally:
        await context.close()
    assert problems == []
