"""The guard's types and checks: what storage, events and exports cannot hold is refused with
the field named; what they can hold passes unchanged."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import TypeAdapter, ValidationError

from civic_common.api.etag import expected_version
from civic_common.api.guard import (
    BirthDate,
    GuardedModel,
    Instant,
    Int64,
    PersonName,
    Refusal,
    bad_character,
    check_body,
    check_query,
    line,
    text,
)
from civic_common.api.paging import cursor_after, cursor_position, encode_cursor
from civic_common.api.problems import Problem

pytestmark = pytest.mark.unit


class Body(GuardedModel):
    title: line(20, min_length=1)  # type: ignore[valid-type]
    note: text(50) = ""  # type: ignore[valid-type]
    given_name: PersonName | None = None
    born: BirthDate | None = None


def refused_fields(**values: object) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        Body.model_validate(values)
    return [".".join(str(p) for p in e["loc"]) for e in refused.value.errors()]


@pytest.mark.parametrize("bad", ["\x00", "a\x07b", "\ud800", "x\udfff", "\uffff", "\x1b[2J"])
def test_characters_storage_cannot_hold_are_refused_naming_the_field(bad: str) -> None:
    assert refused_fields(title="ok", note=bad) == ["note"]
    assert refused_fields(title=bad) == ["title"]


def test_one_line_refuses_line_breaks_and_tabs_where_text_allows_them() -> None:
    assert refused_fields(title="a\nb") == ["title"]
    assert refused_fields(title="a\tb") == ["title"]
    assert Body.model_validate({"title": "a", "note": "one\r\ntwo\tthree"}).note


def test_every_text_has_a_maximum_length() -> None:
    assert refused_fields(title="x" * 21) == ["title"]
    assert refused_fields(title="x", note="y" * 51) == ["note"]


def test_unknown_fields_are_refused() -> None:
    assert refused_fields(title="x", surprise=1) == ["surprise"]


@pytest.mark.parametrize("name", ["   ", "\u200b", "\u200b \ufeff", "123", "--", "\t"])
def test_a_name_without_a_letter_is_refused(name: str) -> None:
    assert refused_fields(title="x", given_name=name) == ["given_name"]


def test_a_name_is_trimmed_of_white_space_and_invisible_characters() -> None:
    body = Body.model_validate({"title": "x", "given_name": " \u200bÉlodie-Anne\u00a0"})
    assert body.given_name == "Élodie-Anne"
    assert Body.model_validate({"title": "x", "given_name": "李"}).given_name == "李"


def test_birth_dates_are_plausible() -> None:
    today = date.today()
    assert refused_fields(title="x", born="1899-12-31") == ["born"]
    assert refused_fields(title="x", born=(today + timedelta(days=1)).isoformat()) == ["born"]
    assert Body.model_validate({"title": "x", "born": "1900-01-01"}).born == date(1900, 1, 1)
    assert TypeAdapter(BirthDate).validate_python(today) == today


def test_numbers_stay_within_a_bigint() -> None:
    adapter = TypeAdapter(Int64)
    assert adapter.validate_python(2**63 - 1) == 2**63 - 1
    with pytest.raises(ValidationError):
        adapter.validate_python(2**63)


def test_instants_need_a_zone_and_come_out_in_utc() -> None:
    adapter = TypeAdapter(Instant)
    at = adapter.validate_python("2030-01-01T10:00:00+01:00")
    assert at == datetime(2030, 1, 1, 9, tzinfo=UTC) and at.tzinfo is UTC
    with pytest.raises(ValidationError):
        adapter.validate_python("2030-01-01T10:00:00")


def _refusal(body: object) -> Refusal:
    with pytest.raises(Refusal) as refused:
        check_body(json.dumps(body).encode(), "application/json")
    return refused.value


def test_the_edge_names_the_field_of_a_bad_character_anywhere_in_a_body() -> None:
    assert _refusal({"given_name": "A\u0000"}).field == "given_name"
    assert _refusal({"sessions": [{"ok": "x"}, {"place": "\ud800"}]}).field == "sessions.1.place"
    assert _refusal([1, "\x01"]).field == "1"


def test_the_edge_refuses_huge_and_non_finite_numbers_and_deep_nesting() -> None:
    assert _refusal({"version": 2**64}).field == "version"
    assert _refusal({"ids": list(range(1001))}).field == "ids"
    assert _refusal({"note": "x" * 10_001}).field == "note"
    with pytest.raises(Refusal):
        check_body(b'{"x": NaN}', "application/json")
    with pytest.raises(Refusal):
        check_body(b'{"x": 1' + b"0" * 5000 + b"}", "application/json")
    with pytest.raises(Refusal):
        check_body(b"[" * 100 + b"]" * 100, "application/json")


def test_the_edge_lets_ordinary_bodies_and_broken_json_through() -> None:
    check_body(json.dumps({"motivation": "Twee\nregels\tmet tab", "n": -3}).encode(), "json")
    check_body(b"{not json", "application/json")  # the route's validation answers that
    check_body(b"a=1&b=%0A", "application/x-www-form-urlencoded")


def test_the_edge_checks_query_parameters() -> None:
    check_query("name=Haddad&cursor=abc")
    for raw, field in [("name=%00", "name"), ("q=a%0Ab", "q"), ("x=" + "y" * 5000, "x")]:
        with pytest.raises(Refusal) as refused:
            check_query(raw)
        assert refused.value.field == field


def test_bad_character_names_the_code_point() -> None:
    assert bad_character("ok") is None
    assert "U+0000" in (bad_character("\x00") or "")


@pytest.mark.parametrize(
    "cursor",
    [
        encode_cursor({"after": 2**70}),
        encode_cursor({"after": "12"}),
        encode_cursor({"after": True}),
        encode_cursor({"after": 1.5}),
        encode_cursor({"after": 1, "extra": 2}),
        "eyJhZnRlciI6" + "MTExMTExMTEx" * 600,
        "x" * 3000,
    ],
)
def test_a_huge_or_wrong_typed_cursor_is_a_422(cursor: str) -> None:
    with pytest.raises(Problem) as refused:
        cursor_after(cursor, int)
    assert refused.value.status == 422
    assert refused.value.extra["errors"][0]["field"] == "cursor"


def test_a_cursor_comes_back_typed() -> None:
    at = datetime(2030, 1, 2, tzinfo=UTC)
    cursor = encode_cursor({"at": at.isoformat(), "n": "abc"})
    assert cursor_position(cursor, {"at": datetime, "n": str}) == (at, "abc")
    with pytest.raises(Problem):
        cursor_position(
            encode_cursor({"at": "2030-01-02", "n": "\x00"}), {"at": datetime, "n": str}
        )


@pytest.mark.parametrize("tag", ['"x"', '"9999999999999999999999"', '"²"', '"-1"', ""])
def test_an_if_match_that_is_no_etag_of_ours_is_a_422(tag: str) -> None:
    with pytest.raises(Problem) as refused:
        expected_version(tag)
    assert refused.value.status == 422
    assert refused.value.extra["errors"][0]["field"] == "If-Match"


def test_if_match_reads_our_etags_and_is_required() -> None:
    assert expected_version('"3"') == 3 and expected_version('W/"12"') == 12
    with pytest.raises(Problem) as refused:
        expected_version(None)
    assert refused.value.status == 428


async def test_the_edge_reads_a_body_without_content_type_as_json() -> None:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from civic_common.api.guard import EdgeGuard

    async def echo(request):  # the body reaches the route unchanged
        return PlainTextResponse((await request.body()).decode())

    app = EdgeGuard(Starlette(routes=[Route("/x", echo, methods=["POST", "DELETE"])]))
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        refused = await http.post("/x", content=b'{"name": "a\\u0000"}')
        assert refused.status_code == 422
        assert refused.json()["errors"] == [
            {"field": "name", "message": "bevat een teken dat niet bewaard kan worden (U+0000)"}
        ]
        passed = await http.request("DELETE", "/x", content=b'{"ok": 1}')
        assert passed.status_code == 200 and passed.text == '{"ok": 1}'
        large = await http.post("/x", content=b'"' + b"x" * 600_000 + b'"')
        assert large.status_code == 413
