"""A service's section of the data-subject report, as SectionSource reads it: anything but the
asked person's section from the asked service becomes a named gap, never an exception and never
a wrong section in the report."""

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from civic_common.api.data_subject import SectionSource, sections_of

pytestmark = pytest.mark.unit

PERSON = uuid.uuid4()


def section(service: str = "tolken", person: uuid.UUID = PERSON) -> dict:
    return {
        "service": service,
        "person_id": str(person),
        "known": True,
        "held": [{"kind": "language_profiles", "title": "Taalprofiel", "records": [{"x": 1}]}],
        "accesses": [],
        "recipients": [
            {
                "organisation": "ocmw-gent",
                "channel": "interpreter-request",
                "legal_basis": None,
                "at": datetime(2026, 12, 1, tzinfo=UTC).isoformat(),
                "what": "tolkaanvraag",
            }
        ],
    }


def source(handler) -> SectionSource:
    return SectionSource("tolken", "http://tolken", 1.0, httpx.MockTransport(handler))


async def test_the_section_comes_with_the_callers_token():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=section())

    answer = await source(handler).section(PERSON, "the-admins-token")
    assert answer.missing is None and answer.section is not None
    assert answer.section.recipients[0].organisation == "ocmw-gent"
    assert seen[0].url.path == f"/api/v1/data-subject/{PERSON}"
    assert seen[0].headers["authorization"] == "Bearer the-admins-token"


@pytest.mark.parametrize(
    ("reply", "missing"),
    [
        (httpx.Response(403, json={}), "de dienst antwoordde met status 403"),
        (httpx.Response(503, text="down"), "de dienst antwoordde met status 503"),
        (httpx.Response(200, text="<html>"), "de dienst gaf een onleesbaar antwoord"),
        (httpx.Response(200, json={"service": "tolken"}), "de dienst gaf een onleesbaar antwoord"),
        (
            httpx.Response(200, json=section(person=uuid.uuid4())),
            "de dienst antwoordde over iets anders",
        ),
        (
            httpx.Response(200, json=section(service="trajecten")),
            "de dienst antwoordde over iets anders",
        ),
    ],
)
async def test_anything_else_is_a_named_gap(reply, missing):
    answer = await source(lambda _: reply).section(PERSON, "t")
    assert (answer.section, answer.missing) == (None, missing)


async def test_no_answer_no_address_or_no_token_are_named_gaps_too():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    answers = await sections_of(
        [source(refuse), SectionSource("rapportage", None, 1.0)], PERSON, "t"
    )
    assert [(a.service, a.missing) for a in answers] == [
        ("tolken", "de dienst antwoordde niet"),
        ("rapportage", "het adres van deze dienst is niet ingesteld"),
    ]
    tokenless = await source(lambda _: httpx.Response(200, json=section())).section(PERSON, None)
    assert tokenless.missing == "geen toegangstoken om door te geven"
