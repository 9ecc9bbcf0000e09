import pytest

from trajecten.domain.trajectory import opens_trajectory

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("target_group", "opens"),
    [("obligated", True), ("entitled", True), (None, True), ("not_in_target_group", False)],
)
def test_a_trajectory_opens_unless_the_person_is_outside_the_target_group(target_group, opens):
    assert opens_trajectory(target_group) is opens
