"""The consumer matrix: every service that keeps data about a person handles every event about
a person, and docs/events.md states what each consumer does with each event, as the code does."""

from importlib.metadata import entry_points
from pathlib import Path

import pytest

from civic_common.events.catalogue import consumer_matrix, load_contracts

pytestmark = pytest.mark.contract

ABOUT_A_PERSON = [
    "intake.person.registered.v1",
    "intake.person.corrected.v1",
    "intake.person.transferred.v1",
    "intake.person.erased.v1",
    "intake.person.merged.v1",
]


def specs() -> list:
    return [entry.load() for entry in entry_points(group="civic.services")]


def test_the_person_events_are_all_in_the_contracts():
    assert set(ABOUT_A_PERSON) <= set(load_contracts())


@pytest.mark.parametrize("event_type", ABOUT_A_PERSON)
def test_every_service_keeping_person_data_handles_every_event_about_a_person(event_type):
    keepers = [
        s.name for s in specs() if s.keeps_person_data and not event_type.startswith(f"{s.name}.")
    ]
    assert keepers, "no service keeps person data: the matrix would prove nothing"
    handling = consumer_matrix().get(event_type, {})
    missing = [name for name in keepers if name not in handling]
    assert not missing, f"{event_type} is not handled by {missing}"
    undescribed = [name for name in keepers if not handling[name]]
    assert not undescribed, f"{event_type}: say what {undescribed} do(es) with it (docstring)"


def test_the_documented_matrix_is_the_code(repo_root: Path):
    documented = (repo_root / "docs" / "events.md").read_text()
    for event_type, consumers in consumer_matrix().items():
        for service, does in consumers.items():
            assert f"| `{event_type}` | {service} | {does} |" in documented, (event_type, service)
