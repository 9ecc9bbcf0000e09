"""The counter page in a real headless Chromium, used with the keyboard only."""

import re
import uuid
from datetime import date

import httpx
import pytest
from sqlalchemy import text

from civic_common.testing.server import serving
from intake.domain.insz import make_insz
from intake.main import build_app

PERSON_PAGE = re.compile(r".*/personen/[0-9a-f-]{36}(\?.*)?$")
pytestmark = pytest.mark.integration


@pytest.fixture
def app(runtime_for):
    return build_app(runtime_for("intake"))


async def type_into(page, selector: str, text: str) -> None:
    await page.focus(selector)
    await page.keyboard.type(text)


async def test_register_refuse_keep_input_correct_and_search_with_the_keyboard(app, signed_in):
    family = f"Yilmaz-{uuid.uuid4().hex[:6]}"
    insz = make_insz(date(1988, 5, 17), 21)  # odd sequence: a man
    async with serving(app) as base_url, signed_in(base_url, "counter", "sara@agii") as page:
        await page.goto("/personen/nieuw")
        await type_into(page, "#insz", insz[:-1] + str((int(insz[-1]) + 1) % 10))  # a typo
        await type_into(page, "#given_name", "Mehmet")
        await type_into(page, "#family_name", family)
        await page.fill("#birth_date", "1988-05-17")
        await page.select_option("#municipality_nis", "44021")
        await type_into(page, "#languages", "tr, nl")
        await page.select_option("#residence_category", "family_reunification")
        await page.focus("#nationality")
        await page.keyboard.type("tr")
        await page.keyboard.press("Enter")  # submits the form

        assert "controlegetallen" in await page.inner_text("#insz-error")
        assert await page.get_attribute("#insz", "aria-invalid") == "true"
        assert await page.input_value("#family_name") == family, "what was typed survives"
        assert await page.input_value("#languages") == "tr, nl"
        assert await page.input_value("#residence_category") == "family_reunification"
        assert await page.is_visible("#fouten")

        await page.fill("#insz", insz)
        await page.focus("#insz")
        await page.keyboard.press("Enter")
        await page.wait_for_url(PERSON_PAGE)
        assert await page.inner_text("#doelgroep") == "verplichte inburgeraar"
        assert "18 tot 65" in await page.inner_text("#doelgroep-reden")
        person_url = page.url.split("?")[0]

        # The same INSZ again: refused, with a link to the person already registered.
        await page.goto("/personen/nieuw")
        await type_into(page, "#insz", insz)
        await type_into(page, "#given_name", "Mehmet")
        await type_into(page, "#family_name", family)
        await page.fill("#birth_date", "1988-05-17")
        await page.select_option("#municipality_nis", "44021")
        await page.focus("#family_name")
        await page.keyboard.press("Enter")
        assert "al geregistreerd" in await page.inner_text("#dubbel")
        await page.click("#dubbel a")
        assert page.url == person_url

        # Correct the municipality: the target group follows, the history shows old -> new.
        await page.select_option("#municipality_nis", "21004")
        await page.focus("#street")
        await page.keyboard.press("Enter")
        assert "opgeslagen" in await page.inner_text(".notice")
        assert await page.inner_text("#doelgroep") == "rechthebbende"
        history = await page.inner_text("table[aria-describedby=geschiedenis]")
        assert "sara@agii" in history and "Gent → Brussel" in history

        await page.goto("/")
        await type_into(page, "#name", family)
        await page.select_option("#municipality_nis", "44021")  # where the person no longer lives
        await page.keyboard.press("Enter")
        assert await page.locator(f"text={family}, Mehmet").count() == 0
        await page.select_option("#municipality_nis", "21004")
        await page.focus("#name")
        await page.keyboard.press("Enter")
        await page.click(f"text={family}, Mehmet")
        assert page.url == person_url


async def test_a_stale_correction_keeps_the_input_and_says_what_happened(app, signed_in, auth):
    family = f"Stale-{uuid.uuid4().hex[:6]}"
    async with serving(app) as base_url, signed_in(base_url, "counter") as page:
        async with httpx.AsyncClient(base_url=base_url) as http:
            created = await http.post(
                "/api/v1/persons",
                json={
                    "given_name": "Lina",
                    "family_name": family,
                    "birth_date": "1995-01-02",
                    "municipality_nis": "11002",
                },
                headers=auth("counter"),
            )
            person_id = created.json()["id"]
            await page.goto(f"/personen/{person_id}")
            await http.patch(
                f"/api/v1/persons/{person_id}",
                json={"street": "Meir"},
                headers=auth("counter", "collega@agii") | {"If-Match": '"1"'},
            )
        await page.fill("#house_number", "7")
        await page.focus("#house_number")
        await page.keyboard.press("Enter")
        assert "collega wijzigde" in await page.inner_text("[role=alert]")
        assert await page.input_value("#house_number") == "7"


async def test_a_visitor_without_the_counter_role_gets_no_person_data(app, signed_in):
    async with serving(app) as base_url, signed_in(base_url, "analyst") as page:
        response = await page.goto("/personen/nieuw")
        assert response.status == 403


async def test_the_counter_confirms_a_flagged_near_duplicate_with_the_keyboard(
    app, signed_in, auth, runtime_for
):
    person = {
        "given_name": "Omar",
        "family_name": f"Twin-{uuid.uuid4().hex[:6]}",
        "birth_date": "1999-09-09",
        "municipality_nis": "24062",
    }
    async with serving(app) as base_url, signed_in(base_url, "counter") as page:
        async with httpx.AsyncClient(base_url=base_url) as http:
            first = await http.post("/api/v1/persons", json=person, headers=auth("counter"))
            second = await http.post(
                "/api/v1/persons",
                json=person | {"confirm_new_person": True},
                headers=auth("counter"),
            )
        # A flag as registrations left them before likely duplicates were shown before saving
        # (they stay until the counter confirms them).
        async with runtime_for("intake").engine.begin() as conn:
            await conn.execute(
                text(
                    "UPDATE intake.persons SET possible_duplicates = ARRAY[CAST(:a AS uuid)] "
                    "WHERE id = :b"
                ),
                {"a": uuid.UUID(first.json()["id"]), "b": uuid.UUID(second.json()["id"])},
            )
        await page.goto(f"/personen/{second.json()['id']}")
        assert "Mogelijk al geregistreerd" in await page.inner_text("#mogelijke-dubbels")
        await page.focus("#mogelijke-dubbels button")
        await page.keyboard.press("Enter")
        await page.wait_for_selector("#mogelijke-dubbels", state="detached")
        history = await page.inner_text("table[aria-describedby=geschiedenis]")
        assert "bevestigd als andere persoon" in history


async def test_an_unknown_or_erased_person_gets_a_dutch_page_not_a_crash(app, signed_in, auth):
    async with serving(app) as base_url, signed_in(base_url, "counter") as page:
        unknown = await page.goto(f"/personen/{uuid.uuid4()}")
        assert unknown.status == 404
        assert await page.inner_text("h1") == "Niet gevonden"

        async with httpx.AsyncClient(base_url=base_url) as http:
            person = await http.post(
                "/api/v1/persons",
                json={
                    "given_name": "Nour",
                    "family_name": "Saleh",
                    "birth_date": "1991-02-03",
                    "municipality_nis": "44021",
                },
                headers=auth("counter"),
            )
            erased = await http.post(
                f"/api/v1/persons/{person.json()['id']}/erasure",
                json={"reason": "verzoek van de persoon"},
                headers=auth("counter"),
            )
        assert erased.status_code == 200, erased.text
        gone = await page.goto(f"/personen/{person.json()['id']}")
        assert gone.status == 410
        assert await page.inner_text("h1") == "Gewist"


async def test_likely_duplicates_are_shown_side_by_side_before_saving(
    app, signed_in, auth, runtime_for
):
    agency = f"dubbel-{uuid.uuid4().hex[:6]}"
    async with serving(app) as base_url:
        async with httpx.AsyncClient(base_url=base_url) as http:
            existing = await http.post(
                "/api/v1/persons",
                json={
                    "given_name": "Emre",
                    "family_name": "Çelik",
                    "birth_date": "1975-01-30",
                    "municipality_nis": "12025",
                },
                headers=auth("counter", f"a@{agency}", organisation=agency),
            )
        assert existing.status_code == 201, existing.text
        existing_id = existing.json()["id"]

        async with signed_in(base_url, "counter", f"b@{agency}", organisation=agency) as page:

            async def fill_in() -> None:
                await page.goto("/personen/nieuw")
                await type_into(page, "#given_name", "Emre")
                await type_into(page, "#family_name", "Celik")  # no cedilla on this keyboard
                await page.fill("#birth_date", "1975-01-30")
                await page.select_option("#municipality_nis", "12025")
                await type_into(page, "#street", "Stationsstraat")
                await page.focus("#family_name")
                async with page.expect_response(lambda r: r.request.method == "POST") as sent:
                    await page.keyboard.press("Enter")
                assert (await sent.value).status == 409

            await fill_in()
            compared = await page.inner_text("#vergelijking")
            assert "Celik, Emre" in compared and "Çelik, Emre" in compared
            assert await page.input_value("#family_name") == "Celik", "what was typed is kept"
            assert await page.input_value("#street") == "Stationsstraat"
            async with runtime_for("intake").engine.connect() as conn:
                saved = await conn.scalar(
                    text("SELECT count(*) FROM intake.persons WHERE agency = :a"), {"a": agency}
                )
            assert saved == 1, "nothing saved before the choice"

            # "Zelfde persoon": the existing record opens.
            await page.get_by_role("link", name="Zelfde persoon: open het dossier").click()
            await page.wait_for_url(f"**/personen/{existing_id}")

            # "Andere persoon": the record as typed is saved, with the keyboard.
            await fill_in()
            await page.focus("button[name=confirm_new_person]")
            await page.keyboard.press("Enter")
            await page.wait_for_url(PERSON_PAGE)
            assert existing_id not in page.url
            assert "De persoon is geregistreerd." in await page.inner_text("main")
            assert await page.locator("#mogelijke-dubbels").count() == 0


async def test_languages_and_countries_are_typed_and_shown_by_their_dutch_names(
    app, signed_in, auth
):
    family = f"Rahimi-{uuid.uuid4().hex[:6]}"
    async with serving(app) as base_url, signed_in(base_url, "counter", "sara@agii") as page:
        await page.goto("/personen/nieuw")
        # The type-ahead lists carry CLDR's Dutch names.
        assert await page.locator("datalist#talen option[value=Dari]").count() == 1
        assert await page.locator("datalist#landen option[value=Afghanistan]").count() == 1
        assert await page.get_attribute("#interpreter_language", "list") == "talen"
        await type_into(page, "#given_name", "Zahra")
        await type_into(page, "#family_name", family)
        await page.fill("#birth_date", "1990-03-04")
        await page.select_option("#municipality_nis", "44021")
        await type_into(page, "#nationality", "Afganistan")  # misspelt: refused, kept
        await type_into(page, "#languages", "Dari, pasjtoe")
        await type_into(page, "#interpreter_language", "dari")
        await page.keyboard.press("Enter")
        assert "Kies een land uit de lijst" in await page.inner_text("#nationality-error")
        assert await page.input_value("#languages") == "Dari, pasjtoe"

        await page.fill("#nationality", "Afghanistan")
        await page.press("#nationality", "Enter")
        await page.wait_for_url(PERSON_PAGE)
        person_id = page.url.split("?")[0].rsplit("/", 1)[1]
        assert await page.input_value("#languages") == "Dari, Pasjtoe"
        assert await page.input_value("#interpreter_language") == "Dari"
        assert await page.input_value("#nationality") == "Afghanistan"

        # A correction by name; the history says it in words.
        await page.fill("#contact_language", "Perzisch")
        await page.press("#contact_language", "Enter")
        assert "opgeslagen" in await page.inner_text(".notice")
        history = await page.inner_text("table[aria-describedby=geschiedenis]")
        assert "Contacttaal: — → Perzisch" in history
        async with httpx.AsyncClient(base_url=base_url) as http:
            stored = (
                await http.get(f"/api/v1/persons/{person_id}", headers=auth("counter"))
            ).json()
    assert stored["languages"][:2] == ["prs", "ps"]  # (the contact language joins them)
    assert stored["interpreter_language"] == "prs" and stored["contact_language"] == "fa"
    assert stored["nationality"] == "AF"
