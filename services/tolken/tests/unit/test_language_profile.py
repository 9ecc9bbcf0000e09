import uuid

import pytest

from tolken.domain.interpreters import Modality
from tolken.domain.language_profile import LanguageProfile

pytestmark = pytest.mark.unit


def profile(preferred: Modality | None) -> LanguageProfile:
    return LanguageProfile(uuid.uuid4(), ("ar",), "ar", "ar", preferred)


@pytest.mark.parametrize(
    ("preferred", "has_place", "booked"),
    [
        (None, True, Modality.ON_SITE),
        (None, False, Modality.VIDEO),
        (Modality.PHONE, True, Modality.PHONE),
        (Modality.VIDEO, True, Modality.VIDEO),
        (Modality.PHONE, False, Modality.PHONE),
        (Modality.ON_SITE, True, Modality.ON_SITE),
        (Modality.ON_SITE, False, Modality.VIDEO),  # online appointment: no place to go to
    ],
)
def test_booking_follows_the_persons_preference_where_the_appointment_allows(
    preferred, has_place, booked
):
    assert profile(preferred).modality_for(has_place) is booked
