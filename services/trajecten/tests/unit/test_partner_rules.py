"""Pure rules of the partner edge: legal bases, data scope, endpoint URLs, retries, order."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from civic_common.api.problems import Problem
from trajecten.app.partner_staff import subscribing_client
from trajecten.domain.delivery import after_failure
from trajecten.domain.subscriptions import (
    DataScope,
    Filters,
    address_problem,
    data_scope,
    legal_bases,
    matches,
    missing_event_scopes,
    organisation_grant,
    parse_legal_bases,
    url_problem,
)

pytestmark = pytest.mark.unit

OPENED = "trajecten.trajectory.opened.v1"
STARTED = "trajecten.trajectory.component-started.v1"


def test_the_shipped_legal_bases_load_and_strip_everything_not_listed() -> None:
    basis = legal_bases().get("vdab-arbeidsmarktactivering")
    assert basis is not None
    assert basis.strip({"component": "x", "actor": "els@agii", "reason": "ziek"}) == {
        "component": "x"
    }
    assert OPENED not in basis.event_types  # VDAB is not told about every opening


@pytest.mark.parametrize(
    ("asked", "granted", "missing"),
    [
        ([OPENED, STARTED], {f"events:{OPENED}", f"events:{STARTED}"}, []),
        ([OPENED, STARTED], {f"events:{OPENED}"}, [f"events:{STARTED}"]),
        ([OPENED, STARTED], set(), [f"events:{STARTED}", f"events:{OPENED}"]),  # sorted
        ([OPENED, OPENED], {"trajecten.feed:read"}, [f"events:{OPENED}"]),  # named once
        ([OPENED], {OPENED, "events:*", "events:trajecten.trajectory"}, [f"events:{OPENED}"]),
        ([], {"trajecten.feed:read"}, []),  # nothing asked: the legal basis refuses that
    ],
)
def test_each_event_type_asked_needs_exactly_its_own_scope(asked, granted, missing) -> None:
    assert missing_event_scopes(asked, granted) == missing


def test_a_basis_allows_only_its_own_event_types() -> None:
    bases = parse_legal_bases(
        {
            "version": "t",
            "legal_bases": [{"code": "b", "event_types": [STARTED], "fields": ["component"]}],
        }
    )
    basis = bases.get("b")
    assert basis is not None
    scope = DataScope("44021", False)
    assert matches(STARTED, [STARTED], basis, scope, Filters(), "44021", "k", False)
    assert not matches(OPENED, [OPENED], basis, scope, Filters(), "44021", "k", False)
    assert bases.get("unknown") is None


def test_an_ocmw_sees_its_municipality_vdab_its_referrals_others_nobody() -> None:
    ocmw = data_scope("44021", "ocmw-gent", ["vdab"])
    assert ocmw.admits("44021", False) and not ocmw.admits("11002", True)
    vdab = data_scope(None, "vdab", ["vdab"])
    assert vdab.admits("11002", True) and not vdab.admits("44021", False)
    assert not data_scope(None, "cvo-gent", ["vdab"]).admits("44021", True)


def test_filters_narrow_by_municipality_and_kind() -> None:
    f = Filters(("44021",), ("inburgeringstraject",))
    assert f.admits("44021", "inburgeringstraject")
    assert not f.admits("44021", "vorming") and not f.admits("11002", "inburgeringstraject")


@pytest.mark.parametrize(
    ("url", "allow", "refused"),
    [
        ("https://partner.example/hook", False, False),
        ("http://partner.example/hook", False, True),
        ("http://127.0.0.1:9000/hook", True, False),
        ("ftp://partner.example/hook", True, True),
        ("https://user:pw@partner.example/hook", False, True),
        ("https:///nohost", False, True),
    ],
)
def test_endpoint_urls(url: str, allow: bool, refused: bool) -> None:
    assert (url_problem(url, allow) is not None) is refused


def test_every_resolved_address_must_be_public() -> None:
    assert address_problem(["93.184.216.34"], False) is None
    for private in ("127.0.0.1", "10.1.2.3", "192.168.1.1", "169.254.169.254", "::1", "fc00::1"):
        assert address_problem(["93.184.216.34", private], False) is not None
    assert address_problem(["127.0.0.1"], True) is None
    assert address_problem([], True) is not None


def test_backoff_grows_with_jitter_and_ends_dead() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    schedule = [10, 60, 3600]
    rand = random.Random(1)
    waits = []
    for attempt in (1, 2, 3):
        outcome = after_failure(attempt, now, schedule, 0.2, rand)
        assert outcome.status == "pending" and outcome.next_attempt_at is not None
        waits.append((outcome.next_attempt_at - now).total_seconds())
    assert 8 <= waits[0] <= 12 and 48 <= waits[1] <= 72 and 2880 <= waits[2] <= 4320
    assert after_failure(4, now, schedule, 0.2, rand).status == "dead"
    assert after_failure(1, now, schedule, 0, rand).next_attempt_at == now + timedelta(seconds=10)


def test_a_signed_in_organisation_may_what_its_active_clients_may():
    grant = organisation_grant(
        [
            {"allowed_scopes": ["a", "b"], "legal_bases": ["x"], "municipality": "44019",
             "revoked_at": None},
            {"allowed_scopes": ["c"], "legal_bases": ["y"], "municipality": "44019",
             "revoked_at": None},
            {"allowed_scopes": ["z"], "legal_bases": ["w"], "municipality": "11002",
             "revoked_at": "2026-01-01T00:00:00Z"},
        ]
    )  # fmt: skip
    assert grant.scopes == {"a", "b", "c"} and grant.legal_bases == {"x", "y"}
    assert grant.municipality == "44019", "a revoked client's municipality does not count"
    mixed = organisation_grant(
        [
            {"allowed_scopes": [], "legal_bases": [], "municipality": "44019", "revoked_at": None},
            {"allowed_scopes": [], "legal_bases": [], "municipality": None, "revoked_at": None},
        ]
    )
    assert mixed.municipality is None, "never guessed"
    assert organisation_grant([]).scopes == frozenset()


def test_a_portal_subscription_belongs_to_a_client_holding_its_basis_and_scopes():
    opened = "trajecten.trajectory.opened.v1"
    write = "trajecten.subscriptions:write"
    both = [write, f"events:{opened}"]
    clients = [
        {"client_id": "revoked", "legal_bases": ["b"], "allowed_scopes": both,
         "revoked_at": "2026-01-01T00:00:00Z"},
        {"client_id": "feed-only", "legal_bases": ["b"], "allowed_scopes": [f"events:{opened}"],
         "revoked_at": None},
        {"client_id": "hooks", "legal_bases": ["b"], "allowed_scopes": both, "revoked_at": None},
    ]  # fmt: skip
    assert subscribing_client(clients, "b", (opened,), write) == "hooks"
    with pytest.raises(Problem):
        subscribing_client(clients, "other-basis", (opened,), write)
