"""The closed list of reasons for declining an offer: every code has Dutch words, and the codes
are exactly those the event contract allows (no free text reaches an event)."""

from typing import get_args

import pytest

from civic_common.events.contracts.tolken import OfferDeclined
from tolken.domain.requests import DECLINE_REASON_NL, DeclineReason

pytestmark = pytest.mark.unit


def test_every_reason_has_dutch_words_and_is_a_code_the_event_allows():
    assert set(DECLINE_REASON_NL) == set(DeclineReason)
    allowed = OfferDeclined.model_fields["decline_reason"].annotation
    codes = {a for arg in get_args(allowed) for a in get_args(arg)}
    assert codes == {r.value for r in DeclineReason}


def test_the_event_refuses_free_text_as_a_reason():
    with pytest.raises(ValueError):
        OfferDeclined.model_validate(
            {
                "request_id": "00000000-0000-0000-0000-000000000001",
                "offer_id": "00000000-0000-0000-0000-000000000002",
                "interpreter_id": "00000000-0000-0000-0000-000000000003",
                "reason": "declined",
                "decline_reason": "de persoon is mijn buurman",
            }
        )
