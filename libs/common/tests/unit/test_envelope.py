import uuid

import pytest

from civic_common.events.envelope import Envelope, InvalidEnvelope

pytestmark = pytest.mark.unit


def envelope() -> Envelope:
    return Envelope(
        type="intake.person.registered.v1",
        source="/civic/intake",
        partitionkey=str(uuid.uuid4()),
        sequence=3,
        subject="person",
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        data={"person_id": "x", "n": 1},
    )


def as_record(env: Envelope) -> tuple[dict[str, bytes], bytes]:
    return {k: v.encode() for k, v in env.headers().items()}, env.value()


def test_an_envelope_survives_the_trip_through_kafka_headers_and_value():
    original = envelope()
    assert Envelope.from_record(*as_record(original)) == original


def test_binary_mode_puts_attributes_in_ce_headers_and_only_data_in_the_value():
    headers, value = as_record(envelope())
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_sequence"] == b"3"
    assert headers["content-type"] == b"application/json"
    assert value == b'{"person_id":"x","n":1}'


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda h, v: (h | {"ce_specversion": b"0.3"}, v), "specversion"),
        (lambda h, v: ({k: x for k, x in h.items() if k != "ce_id"}, v), "ce_id"),
        (lambda h, v: (h | {"ce_sequence": b"three"}, v), "malformed"),
        (lambda h, v: (h | {"ce_id": b"not-a-uuid"}, v), "malformed"),
        (lambda h, v: (h, b"{not json"), "not JSON"),
        (lambda h, v: (h, b"[1, 2]"), "JSON object"),
        (lambda h, v: (h | {"ce_type": b"\xff"}, v), "UTF-8"),
    ],
)
def test_a_malformed_record_is_refused_saying_why(mutate, reason):
    with pytest.raises(InvalidEnvelope, match=reason):
        Envelope.from_record(*mutate(*as_record(envelope())))
