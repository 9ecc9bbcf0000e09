from datetime import UTC, date, datetime

import pytest

from intake.domain.person import Person

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 22, 10, tzinfo=UTC)


def test_a_birth_date_after_registration_is_refused():
    with pytest.raises(ValueError, match="future"):
        Person("A", "B", date(2026, 11, 23), "44021", NOW, agency="agii")


def test_the_contact_language_counts_among_the_languages_spoken():
    person = Person(
        "A",
        "B",
        date(1990, 1, 1),
        "44021",
        NOW,
        languages=["fr"],
        contact_language="ar",
        agency="agii",
    )
    assert person.languages == ["fr", "ar"]
