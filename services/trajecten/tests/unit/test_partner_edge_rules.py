"""Pure rules of the partner edge's controls: retry policy limits, warning threshold, legal
basis expiry, examples, CloudEvents and the order headers, alert mails."""

from datetime import date

import pytest

from civic_common.events.contracts import CONTRACTS
from trajecten.domain.alerts import BASIS_EXPIRING, DISABLED, FAILING, email_problem, message
from trajecten.domain.delivery import cloudevent, cloudevent_headers, example, order_headers
from trajecten.domain.subscriptions import (
    RetryLimits,
    parse_legal_bases,
    retry_policy_problems,
    warn_threshold,
)

LIMITS = RetryLimits(5, 3600, 3, 2, 100)


@pytest.mark.parametrize(
    ("schedule", "disable", "fields"),
    [
        (None, None, []),
        ([5, 60, 3600], 2, []),
        ([4], None, ["retry_seconds"]),
        ([5, 5, 5, 5], None, ["retry_seconds"]),
        ([], None, ["retry_seconds"]),
        (None, 1, ["disable_after_failures"]),
        ([7200], 101, ["retry_seconds", "disable_after_failures"]),
    ],
)
def test_retry_policy_limits(schedule, disable, fields):
    assert [f for f, _ in retry_policy_problems(schedule, disable, LIMITS)] == fields


@pytest.mark.parametrize(("disable", "warn"), [(50, 25), (2, 1), (3, 2), (1, 1), (10, 5)])
def test_the_warning_comes_before_the_disable(disable, warn):
    assert warn_threshold(disable, 0.5) == warn


def test_a_basis_with_an_end_date_ends_and_nears_its_end():
    bases = parse_legal_bases(
        {
            "version": "t",
            "legal_bases": [
                {"code": "a", "event_types": [], "fields": [], "valid_until": "2026-03-31"},
                {"code": "b", "event_types": [], "fields": []},
            ],
        }
    )
    a, b = bases.get("a"), bases.get("b")
    assert a.valid_until == date(2026, 3, 31) and b.valid_until is None
    assert a.ends_within(date(2026, 3, 1), 30) and not a.ends_within(date(2026, 2, 1), 30)
    assert not a.expired(date(2026, 3, 31)) and a.expired(date(2026, 4, 1))
    assert not a.ends_within(date(2026, 4, 1), 30)  # ended: no more warnings
    assert not b.ends_within(date(2026, 3, 1), 30) and not b.expired(date(2099, 1, 1))


def test_examples_fill_every_required_field_of_every_trajectory_event():
    for event_type, model in CONTRACTS.items():
        if not event_type.startswith("trajecten.trajectory."):
            continue
        schema = model.model_json_schema()
        made = example(schema)
        model.model_validate(made)  # a valid instance of its own contract
        assert set(made) == set(schema["properties"])


def test_cloudevents_binary_headers_carry_every_attribute_but_data():
    body = {
        "id": "e1",
        "type": "t.v1",
        "timestamp": "2026-01-05T09:30:00+01:00",
        "trajectory_id": "t1",
        "sequence": 3,
        "data": {"x": 1},
        "test": True,
    }
    event = cloudevent(body)
    assert event["specversion"] == "1.0" and event["subject"] == "t1" and event["test"] == "true"
    headers = cloudevent_headers(event)
    assert headers["ce-id"] == "e1" and headers["ce-sequence"] == "3"
    assert headers["content-type"] == "application/json" and "ce-data" not in headers


def test_order_headers():
    assert order_headers(1, None, False) == {"webhook-sequence": "1"}
    assert order_headers(4, "msg_a", True) == {
        "webhook-sequence": "4",
        "webhook-previous-id": "msg_a",
        "webhook-out-of-order": "true",
    }


@pytest.mark.parametrize(
    ("address", "ok"),
    [("ops@ocmw.example", True), ("a@b", False), ("x y@z.be", False), ("@z.be", False)],
)
def test_email_addresses(address, ok):
    assert (email_problem(address) is None) == ok


def test_alert_mails_are_dutch_and_name_the_subscription():
    data = {
        "subscription_id": "s1",
        "organisation": "ocmw-x",
        "consecutive_failures": 5,
        "disable_after_failures": 10,
        "legal_basis": "b",
        "valid_until": "2026-03-31",
    }
    for kind, word in (
        (FAILING, "mislukken"),
        (DISABLED, "uitgeschakeld"),
        (BASIS_EXPIRING, "loopt af"),
    ):
        subject, text = message(kind, data)
        assert word in subject and "s1" in subject + text
