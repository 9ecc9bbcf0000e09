"""An import writes each valid row's event JSON itself (no event object per row, for speed):
every row the parser accepts must give JSON that the event's contract accepts and reads back
as the very event the row stands for. Property-based, over cells valid and invalid."""

import uuid
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from civic_common.agencies import AGENCIES
from rapportage.app.imports import KINDS, _registered, payload
from rapportage.domain.historical import RowError

TODAY = date(2026, 12, 7)
# Per column: cells the parser accepts, then (less often drawn) cells it refuses.
INTS = (["", "0", "1", "7", "40", "1.250.000"], ["-3", "1.250", "0,25", "x"])
AMOUNTS = (["", "0", "7", "1.250,50", "1250.5", "0,25"], ["-3", "1.250", "12,345", "x", "1.596"])
TEXT = (["", "Duidelijke taal", "Tolken", "Zoë & co", "a|b", "Regio's"], ["Totaal"])
CELLS = {
    "jaar": (["1990", "2016", "2026"], ["", "1989", "2027", "20x6"]),
    "editie": (["2019", "2019-2020"], ["", "1989", "2027", "19-20"]),
    "agentschap": (["AgII", "agii", "Atlas", "IN-Gent", "AgII|Atlas"], ["", "Mars"]),
    "regio": (["Regio Antwerpen", "limburg", "Brussel", "regio-overschrijdend"], ["", "Mars"]),
    "provincie": (["Antwerpen", "West-Vlaanderen"], ["", "Mars"]),
    "aanbod": (["", "open", "op maat", "Open aanbod"], ["soms"]),
    "beslissing": (["", "voortgezet", "beëindigd", "aangepast"], ["misschien"]),
}


def drawn(valid: list[str], invalid: list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from(valid * 12 + invalid)


def cell(column: str) -> st.SearchStrategy[str]:
    if column in CELLS:
        return drawn(*CELLS[column])
    if column in ("kostprijs_eur", "personeelsuren"):
        return drawn(*AMOUNTS)
    if column in (
        "aantal", "deelnemers_lokale_besturen", "deelnemers_andere", "bevraagd", "respondenten",
        "tevreden", "organisaties", "deelnemers", "sessies", "groepen",
    ):  # fmt: skip
        return drawn(*INTS)
    return drawn(*TEXT)


def rows(columns: tuple[str, ...]) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries({c: cell(c) for c in columns})


TRAINING = (
    "jaar", "agentschap", "regio", "thema", "aanbod", "titel", "omschrijving", "aantal",
    "organisatoren", "deelnemers_lokale_besturen", "deelnemers_andere", "andere_organisaties",
    "kostprijs_eur", "personeelsuren", "bevraagd", "respondenten", "tevreden", "beslissing",
)  # fmt: skip
TRAJECTORY = (
    "editie", "agentschap", "partners", "provincie", "doel", "inhoud", "organisaties",
    "deelnemers", "deelnemende_organisaties", "kostprijs_eur", "personeelsuren", "resultaten",
    "evaluatiecriteria", "sessies", "groepen", "bevraagd", "respondenten", "tevreden",
)  # fmt: skip


def holds(kind_name: str, row: dict[str, str]) -> bool:
    kind = KINDS[kind_name]
    try:
        data = kind.parse(row, TODAY.year, AGENCIES)
    except RowError:
        return False
    record_id, import_id = uuid.uuid4(), uuid.uuid4()
    written = kind.event.model_validate_json(payload(record_id, import_id, data))
    expected = kind.event(record_id=record_id, import_id=import_id, **_registered(data))  # type: ignore[call-arg]
    assert written == expected
    return True


@settings(max_examples=400, deadline=None)
@given(rows(TRAINING))
def test_every_accepted_training_row_is_its_event_to_the_letter(row: dict[str, str]) -> None:
    holds("trainings", row)


@settings(max_examples=400, deadline=None)
@given(rows(TRAJECTORY))
def test_every_accepted_trajectory_row_is_its_event_to_the_letter(row: dict[str, str]) -> None:
    holds("organisation-trajectories", row)


def test_the_examples_include_accepted_rows() -> None:
    """The property is not vacuous: a plain row of each kind is accepted."""
    assert holds("trainings", {"jaar": "2016", "agentschap": "AgII", "regio": "Limburg",
                               "thema": "Tolken", "kostprijs_eur": "1.250,50"})  # fmt: skip
    assert holds("organisation-trajectories", {
        "editie": "2019-2020", "agentschap": "Atlas", "provincie": "Antwerpen", "doel": "x",
        "inhoud": "y", "personeelsuren": ""})  # fmt: skip


@given(st.text(max_size=200))
def test_a_record_id_is_the_uuid5_of_its_key_as_before(name: str) -> None:
    """Record ids must stay what earlier imports wrote, or a re-import would add, not replace."""
    from rapportage.app.imports import NAMESPACE, record_id_of

    assert record_id_of(name) == str(uuid.uuid5(NAMESPACE, name))


@given(st.binary(min_size=16, max_size=16))
def test_an_event_id_is_a_random_uuid(random16: bytes) -> None:
    from civic_common.db.uow import uuid4_text

    text = uuid4_text(random16)
    parsed = uuid.UUID(text)
    assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122
