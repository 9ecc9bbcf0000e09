"""Spelling-tolerant search by name and likely duplicates before saving, against the real
database (pg_trgm, the trigram index, the ranking and the paging)."""

import uuid

import httpx
import pytest
from sqlalchemy import text

from intake.domain.search import search_key
from intake.main import build_app

pytestmark = pytest.mark.integration

# An agency of its own per test run keeps these searches apart from other tests' persons.
AGENCY = f"zoek-{uuid.uuid4().hex[:6]}"
BIRTH = "1989-11-23"
# Persons whose names resemble nothing the tests look for: a search must not flood with them.
BYSTANDERS = [
    ("Jan", "Peeters"), ("Sofie", "Janssens"), ("Lucas", "Maes"), ("Emma", "Jacobs"),
    ("Noah", "Mertens"), ("Louise", "Willems"), ("Arthur", "Claes"), ("Olivia", "Goossens"),
    ("Liam", "Wouters"), ("Mila", "De Smet"), ("Adam", "Dubois"), ("Nora", "Lambert"),
    ("Yusuf", "Demir"), ("Fatma", "Kaya"), ("Ahmed", "Benali"), ("Leila", "Amrani"),
    ("Oleksandr", "Shevchenko"), ("Iryna", "Bondarenko"), ("Tesfaye", "Bekele"),
    ("Abdi", "Farah"), ("Hamid", "Rahimi"), ("Hadiya", "Osman"), ("Hassan", "Haidari"),
    ("Karim", "Hajji"), ("Nadia", "Hamdi"), ("Samir", "Hadj"), ("Ali", "Hussein"),
]  # fmt: skip


@pytest.fixture
async def client(runtime_for):
    app = build_app(runtime_for("intake"))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        yield http


def counter(auth, agency: str = AGENCY) -> dict[str, str]:
    return auth("counter", f"balie@{agency}", organisation=agency)


async def register(client, auth, given: str, family: str, **fields) -> dict:
    body = {
        "given_name": given,
        "family_name": family,
        "birth_date": BIRTH,
        "municipality_nis": "12025",
        "confirm_new_person": True,
    } | fields
    answer = await client.post("/api/v1/persons", json=body, headers=counter(auth))
    assert answer.status_code == 201, answer.text
    return answer.json()


async def search(client, auth, **params) -> list[dict]:
    answer = await client.get("/api/v1/persons", params=params, headers=counter(auth))
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


@pytest.fixture(scope="module")
def people() -> dict:
    return {}


@pytest.fixture
async def registered(client, auth, people) -> dict:
    """The persons searched for, and the bystanders, registered once for the module."""
    if not people:
        people["haddad"] = await register(client, auth, "Amina", "Haddad")
        people["celik"] = await register(client, auth, "Emre", "Çelik", birth_date="1975-01-30")
        people["nguyen"] = await register(client, auth, "Thị Lan", "Nguyễn")
        for given, family in BYSTANDERS:
            await register(client, auth, given, family, birth_date="1970-06-15")
    return people


@pytest.mark.parametrize(
    ("typed", "who"),
    [
        ("Hadat", "haddad"),  # heard, not seen: d/t and one d
        ("Hadad", "haddad"),  # a dropped letter
        ("Haddadd", "haddad"),  # a doubled letter
        ("Hdadad", "haddad"),  # swapped letters
        ("haddad amina", "haddad"),
        ("Amina Hadat", "haddad"),  # given and family name in either order
        ("Celik", "celik"),  # no cedilla on the keyboard
        ("EMRE CELIK", "celik"),
        ("Nguyen Thi Lan", "nguyen"),
        ("lan nguyen", "nguyen"),
    ],
)
async def test_a_misspelt_name_finds_the_person_first(client, auth, registered, typed, who):
    found = await search(client, auth, name=typed)
    assert found, f"{typed!r} finds nobody"
    assert found[0]["id"] == registered[who]["id"], [f["family_name"] for f in found]


@pytest.mark.parametrize("typed", ["Hadat", "Celik", "Amina Hadat", "Nguyen"])
async def test_a_tolerant_search_does_not_flood(client, auth, registered, typed):
    found = await search(client, auth, name=typed)
    assert len(found) <= 3, [f"{f['given_name']} {f['family_name']}" for f in found]


async def test_names_that_only_share_a_beginning_come_after_the_match(client, auth, registered):
    found = [f["family_name"] for f in await search(client, auth, name="Haddad")]
    assert found[0] == "Haddad"
    assert len(found) <= 3, found  # Hadj, Hadiya Osman: a short name has few trigrams
    assert await search(client, auth, name="Vandenbroucke") == []


async def test_the_closest_come_first_and_paging_neither_skips_nor_repeats(
    client, auth, registered
):
    family = f"Rahman{uuid.uuid4().hex[:4]}"
    exact = await register(client, auth, "Zahra", family)
    near = await register(client, auth, "Zahra", family + "i")
    others = [await register(client, auth, g, family) for g in ("Bilal", "Dounia", "Farid")]
    closest = await search(client, auth, name=f"Zahra {family}", limit=100)
    assert [p["id"] for p in closest] == [exact["id"], near["id"]], "closest first, Zahra only"

    typed = family
    whole = await search(client, auth, name=typed, limit=100)
    assert {p["id"] for p in whole} == {exact["id"], near["id"], *(o["id"] for o in others)}
    assert whole[-1]["id"] == near["id"], "one letter more ranks below the exact family name"
    given = [p["given_name"] for p in whole]
    assert given == ["Bilal", "Dounia", "Farid", "Zahra", "Zahra"], "equals alphabetically"

    seen, cursor = [], None
    while True:
        params = {"name": typed, "limit": 2} | ({"cursor": cursor} if cursor else {})
        answer = await client.get("/api/v1/persons", params=params, headers=counter(auth))
        assert answer.status_code == 200, answer.text
        seen += [p["id"] for p in answer.json()["items"]]
        if not (cursor := answer.json()["next_cursor"]):
            break
    assert seen == [p["id"] for p in whole]

    alphabetical = await client.get(
        "/api/v1/persons",
        params={"birth_date": BIRTH, "cursor": cursor or "e30"},
        headers=counter(auth),
    )
    assert alphabetical.status_code == 422, "a cursor of the ranked search is not this one's"


async def test_only_the_callers_agency_is_searched_and_every_hit_is_audited(
    client, auth, registered, runtime_for
):
    elsewhere = await client.get(
        "/api/v1/persons", params={"name": "Hadat"}, headers=counter(auth, "atlas")
    )
    assert registered["haddad"]["id"] not in elsewhere.text

    found = await search(client, auth, name="Hadat")
    async with runtime_for("intake").engine.connect() as conn:
        purposes = (
            (
                await conn.execute(
                    text(
                        "SELECT purpose FROM intake.audit_log WHERE subject_id = :id "
                        "AND action = 'read' AND organisation = :org"
                    ),
                    {"id": found[0]["id"], "org": AGENCY},
                )
            )
            .scalars()
            .all()
        )
    assert "search" in purposes


async def test_a_name_without_letters_or_a_foreign_cursor_is_a_clear_422(client, auth):
    for params in ({"name": "!!"}, {"name": "Hadat", "cursor": "bm9wZQ"}):
        answer = await client.get("/api/v1/persons", params=params, headers=counter(auth))
        assert answer.status_code == 422, params
        assert answer.headers["content-type"].startswith("application/problem+json")


async def test_likely_duplicates_are_shown_before_saving_until_confirmed(
    client, auth, registered, runtime_for
):
    body = {
        "given_name": "Amina",
        "family_name": "Hadat",
        "birth_date": BIRTH,
        "municipality_nis": "12025",
    }
    first = await client.post("/api/v1/persons", json=body, headers=counter(auth))
    assert first.status_code == 409, first.text
    problem = first.json()
    assert [c["id"] for c in problem["candidates"]] == [registered["haddad"]["id"]]
    assert problem["candidates"][0]["family_name"] == "Haddad"
    assert problem["errors"][0]["field"] == "confirm_new_person"
    async with runtime_for("intake").engine.connect() as conn:
        saved = await conn.scalar(
            text("SELECT count(*) FROM intake.persons WHERE family_name = 'Hadat'")
        )
        audited = await conn.scalar(
            text(
                "SELECT count(*) FROM intake.audit_log WHERE subject_id = :id "
                "AND purpose = 'duplicate check'"
            ),
            {"id": registered["haddad"]["id"]},
        )
    assert saved == 0, "nothing is saved before the counter chose"
    assert audited >= 1, "showing the candidate is a read"

    other_day = await client.post(
        "/api/v1/persons", json=body | {"birth_date": "1989-11-24"}, headers=counter(auth)
    )
    assert other_day.status_code == 201, "another birth date: no likely duplicate"

    confirmed = await client.post(
        "/api/v1/persons", json=body | {"confirm_new_person": True}, headers=counter(auth)
    )
    assert confirmed.status_code == 201, confirmed.text
    assert confirmed.json()["possible_duplicates"] == []
    assert "confirm_new_person" not in confirmed.json()

    not_a_flag = await client.post(
        "/api/v1/persons", json=body | {"confirm_new_person": "ja"}, headers=counter(auth)
    )
    assert not_a_flag.status_code == 422


async def test_with_an_idempotency_key_the_candidates_shown_are_audited_and_replayed(
    client, auth, registered, runtime_for
):
    body = {
        "given_name": "Emre",
        "family_name": "Celik",
        "birth_date": "1975-01-30",
        "municipality_nis": "12025",
    }
    headers = counter(auth, AGENCY) | {"Idempotency-Key": str(uuid.uuid4())}
    async with runtime_for("intake").engine.connect() as conn:
        before = await conn.scalar(
            text(
                "SELECT count(*) FROM intake.audit_log WHERE subject_id = :id "
                "AND purpose = 'duplicate check'"
            ),
            {"id": registered["celik"]["id"]},
        )
    first = await client.post("/api/v1/persons", json=body, headers=headers)
    assert first.status_code == 409, first.text
    again = await client.post("/api/v1/persons", json=body, headers=headers)
    assert again.status_code == 409
    assert again.headers.get("idempotent-replayed") == "true"
    async with runtime_for("intake").engine.connect() as conn:
        after = await conn.scalar(
            text(
                "SELECT count(*) FROM intake.audit_log WHERE subject_id = :id "
                "AND purpose = 'duplicate check'"
            ),
            {"id": registered["celik"]["id"]},
        )
    assert after == before + 1, "audited once, with the answer; the replay reads nothing anew"


async def test_the_page_answers_a_foreign_cursor_in_dutch(client, auth):
    page = counter(auth) | {"Accept": "text/html"}  # pages take a bearer token like the APIs
    answer = await client.get("/", params={"name": "Hadat", "cursor": "bm9wZQ"}, headers=page)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
    assert "andere zoekopdracht" in answer.text


async def vocabulary_has(runtime_for, *words: str) -> dict[str, bool]:
    async with runtime_for("intake").engine.connect() as conn:
        found = set(
            (
                await conn.execute(
                    text("SELECT word FROM intake.search_words WHERE word = ANY(:w)"),
                    {"w": list(words)},
                )
            ).scalars()
        )
    return {word: word in found for word in words}


async def test_an_erased_or_corrected_name_leaves_the_search_vocabulary(client, auth, runtime_for):
    """The search finds words through a vocabulary of the keys' words (migration 0009): an
    erased person's name, or the old name of a corrected one, must not stay behind in it,
    unless another person still has the word; the new name is found at once."""
    unique = f"Zyqvort{uuid.uuid4().hex[:6]}"
    shared = f"Blomqvar{uuid.uuid4().hex[:6]}"
    erased = await register(client, auth, "Amina", unique)
    await register(client, auth, "Emre", shared)
    other = await register(client, auth, "Thị Lan", shared)
    unique_word, shared_word = search_key(None, unique), search_key(None, shared)
    assert await vocabulary_has(runtime_for, unique_word, shared_word) == {
        unique_word: True,
        shared_word: True,
    }
    assert [f["id"] for f in await search(client, auth, name=unique[:-1])] == [erased["id"]]

    answer = await client.post(
        f"/api/v1/persons/{erased['id']}/erasure", json={"reason": "art. 17"}, headers=counter(auth)
    )
    assert answer.status_code == 200, answer.text
    renamed = f"Quirnel{uuid.uuid4().hex[:6]}"
    answer = await client.patch(
        f"/api/v1/persons/{other['id']}",
        json={"family_name": renamed},
        headers=counter(auth) | {"If-Match": f'"{other["version"]}"'},
    )
    assert answer.status_code == 200, answer.text

    assert await vocabulary_has(
        runtime_for, unique_word, shared_word, search_key(None, renamed)
    ) == {
        unique_word: False,  # erased: gone
        shared_word: True,  # Emre still has it
        search_key(None, renamed): True,
    }
    assert await search(client, auth, name=unique) == []
    found = await search(client, auth, name=f"Lan {renamed[:-1]}")
    assert [f["id"] for f in found] == [other["id"]]
