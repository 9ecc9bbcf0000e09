""" "Mijn dossiers" against the real database: mine versus my agency's, the filters, the sort
orders and paging that neither skips nor repeats."""

import re
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import text

pytestmark = pytest.mark.integration

# A counsellor (and agency) of their own per run: only this test's trajectories are theirs.
AGENCY = f"dossier-{uuid.uuid4().hex[:6]}"
ME = f"mila@{AGENCY}"


@pytest.fixture
def me(auth):
    return auth("counsellor", ME, organisation=AGENCY)


@pytest.fixture
def colleague(auth):
    return auth("counsellor", f"jonas@{AGENCY}", organisation=AGENCY)


async def open_for(client, headers) -> dict:
    answer = await client.post(
        "/api/v1/trajectories",
        json={
            "person_id": str(uuid.uuid4()),
            "template_version": "2024.1",
            "municipality_nis": "12025",
            "target_group": "obligated",
        },
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def listed(client, headers, **params) -> list[dict]:
    answer = await client.get("/api/v1/my-trajectories", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


async def set_deadline(runtime_for, trajectory_id: str, deadline: date) -> None:
    """Move the first required component's deadline (as time passing would)."""
    async with runtime_for("trajecten").engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE trajecten.components SET deadline = :d WHERE trajectory_id = :t AND "
                "code = (SELECT code FROM trajecten.components WHERE trajectory_id = :t "
                "AND required ORDER BY position LIMIT 1)"
            ),
            {"d": deadline, "t": uuid.UUID(trajectory_id)},
        )


@pytest.fixture(scope="module")
def opened() -> dict:
    return {}


@pytest.fixture
async def cases(client, me, colleague, runtime_for, opened) -> dict:
    if not opened:
        today = date.today()
        opened["late"] = await open_for(client, me)
        opened["soon"] = await open_for(client, me)
        opened["later"] = await open_for(client, me)
        opened["paused"] = await open_for(client, me)
        opened["theirs"] = await open_for(client, colleague)
        for name, days in (("late", -3), ("soon", 5), ("later", 60), ("paused", 1)):
            await set_deadline(runtime_for, opened[name]["id"], today + timedelta(days=days))
        for name in ("late", "soon", "later", "paused", "theirs"):
            async with runtime_for("trajecten").engine.begin() as conn:
                await conn.execute(
                    text(
                        "UPDATE trajecten.components SET deadline = :d WHERE trajectory_id = :t "
                        "AND deadline IS NOT NULL AND deadline < :d AND code <> ("
                        "SELECT code FROM trajecten.components WHERE trajectory_id = :t "
                        "AND required ORDER BY position LIMIT 1)"
                    ),
                    {"d": today + timedelta(days=90), "t": uuid.UUID(opened[name]["id"])},
                )
        suspended = await client.post(
            f"/api/v1/trajectories/{opened['paused']['id']}/transitions",
            json={"action": "suspend", "reason": "ziek"},
            headers=me | {"If-Match": '"1"'},
        )
        assert suspended.status_code == 200, suspended.text
    return opened


def ids(items: list[dict]) -> list[str]:
    return [i["trajectory_id"] for i in items]


async def test_mine_are_the_ones_i_acted_on_and_agency_shows_my_colleagues_too(client, me, cases):
    mine = ids(await listed(client, me))
    assert set(mine) == {cases[n]["id"] for n in ("late", "soon", "later", "paused")}
    every = ids(await listed(client, me, scope="agency"))
    assert set(every) == set(mine) | {cases["theirs"]["id"]}


async def test_filters_by_status_and_by_what_is_due(client, me, cases):
    assert ids(await listed(client, me, status="suspended")) == [cases["paused"]["id"]]
    overdue = await listed(client, me, due="overdue")
    assert ids(overdue) == [cases["late"]["id"]] and overdue[0]["overdue"] is True
    assert ids(await listed(client, me, due="soon")) == [cases["soon"]["id"]], "open only"
    assert await listed(client, me, agency="atlas") == []


async def test_sorted_by_deadline_opening_or_status(client, me, cases):
    by_deadline = ids(await listed(client, me, sort="deadline"))
    assert by_deadline == [cases[n]["id"] for n in ("late", "paused", "soon", "later")]
    by_opening = ids(await listed(client, me, sort="opened"))
    assert by_opening == [cases[n]["id"] for n in ("paused", "later", "soon", "late")]
    by_status = await listed(client, me, sort="status")
    assert [i["status"] for i in by_status] == ["open", "open", "open", "suspended"]


@pytest.mark.parametrize("sort", ["deadline", "opened", "status"])
async def test_paging_neither_skips_nor_repeats(client, me, cases, sort):
    whole = ids(await listed(client, me, sort=sort, scope="agency", limit=100))
    seen, cursor = [], None
    while True:
        params = {"sort": sort, "scope": "agency", "limit": 2} | (
            {"cursor": cursor} if cursor else {}
        )
        answer = await client.get("/api/v1/my-trajectories", params=params, headers=me)
        assert answer.status_code == 200, answer.text
        seen += ids(answer.json()["items"])
        if not (cursor := answer.json()["next_cursor"]):
            break
    assert seen == whole


async def test_bad_filters_and_foreign_cursors_are_a_clear_422(client, me, cases, auth):
    first = await client.get(
        "/api/v1/my-trajectories", params={"limit": 1, "sort": "opened"}, headers=me
    )
    cursor = first.json()["next_cursor"]
    for params in (
        {"status": "weg"},
        {"due": "gisteren"},
        {"sort": "naam"},
        {"agency": "Niet Geldig"},
        {"cursor": "bm9wZQ"},
        {"cursor": cursor, "sort": "deadline"},  # made for another sort order
    ):
        answer = await client.get("/api/v1/my-trajectories", params=params, headers=me)
        assert answer.status_code == 422, (params, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    refused = await client.get("/api/v1/my-trajectories", headers=auth("counter"))
    assert refused.status_code == 403
    no_agency = await client.get(
        "/api/v1/my-trajectories", headers=auth("counsellor", organisation=None)
    )
    assert no_agency.status_code == 403


async def test_another_agency_sees_none_of_them(client, auth, cases):
    atlas = auth("counsellor", ME, organisation="atlas")  # same name, another agency
    assert not set(ids(await listed(client, atlas, scope="agency"))) & {
        c["id"] for c in cases.values()
    }


def ids_on(html: str) -> set[str]:
    return set(re.findall(r'href="/trajecten/([0-9a-f-]{36})"', html))


async def test_the_page_answers_a_foreign_cursor_or_filter_in_dutch(client, me, cases):
    session = me | {"Accept": "text/html"}  # pages take a bearer token like the APIs
    shown = await client.get("/mijn-dossiers", headers=session)
    assert shown.status_code == 200 and 'id="dossiers"' in shown.text
    for params, message in (
        ({"cursor": "bm9wZQ"}, "andere sortering"),
        ({"termijn": "gisteren"}, "te laat of binnenkort"),
        ({"agentschap": "Niet Geldig"}, "Kies een agentschap uit de lijst"),
    ):
        answer = await client.get("/mijn-dossiers", params=params, headers=session)
        assert answer.status_code == 422, params
        assert answer.headers["content-type"].startswith("text/html")
        assert message in answer.text
    # The agency by the name people know it by, from the type-ahead list; a code the
    # platform does not list yet in any case.
    named = await client.get("/mijn-dossiers", params={"agentschap": "Atlas"}, headers=session)
    assert named.status_code == 200 and 'value="Atlas" list="agentschappen"' in named.text
    assert not ids_on(named.text), "none of these cases is Atlas's"
    for typed in (AGENCY, AGENCY.upper()):
        coded = await client.get("/mijn-dossiers", params={"agentschap": typed}, headers=session)
        assert coded.status_code == 200, typed
        assert ids_on(coded.text) == ids_on(shown.text) != set()
