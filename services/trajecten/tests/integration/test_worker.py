"""The worker's composition: what it subscribes to."""

import pytest

from trajecten.main import build_worker

pytestmark = pytest.mark.integration


def test_the_worker_consumes_intake_and_its_own_trajectory_events(runtime_for):
    worker = build_worker(runtime_for("trajecten"))
    assert worker.consumer is not None
    prefix = runtime_for("trajecten").settings.topic_prefix
    assert set(worker.consumer.topics) == {
        f"{prefix}{t}"
        for t in (
            "intake.persons",
            "intake.organisations",
            "intake.candidacies",
            "trajecten.trajectories",  # into partner deliveries and the feed
            "trajecten.partner-alerts",  # told to the partner's operational contact
        )
    }
