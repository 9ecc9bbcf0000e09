"""The legal and operational parameters of interpreting. Values come from configuration
(``tolken.settings``); the defaults here are the agency's current practice."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Policy:
    # Subjects a request may carry; those in ``certified_subjects`` need a certified interpreter
    # whose certificate is valid on the day of the assignment.
    subjects: frozenset[str] = frozenset(
        {
            "verblijfsrecht",
            "asiel",
            "trajectbegeleiding",
            "onderwijs",
            "gezondheidszorg",
            "welzijn",
            "werk",
            "huisvesting",
            "justitie",
            "algemeen",
        }
    )
    certified_subjects: frozenset[str] = frozenset({"verblijfsrecht", "asiel", "justitie"})
    # Travel time kept free before and after an on-site assignment.
    travel_buffer_minutes: int = 15
    offer_answer_minutes: int = 120
    urgent_offer_answer_minutes: int = 20
    # Cancelling fewer working days than this before the start is billable.
    free_cancellation_working_days: int = 2
    candidates_shown: int = 5
    # Scoring weights (points); continuity counts most: the person knows the interpreter.
    weights: dict[str, float] = field(
        default_factory=lambda: {
            "continuity": 40.0,
            "distance": 20.0,
            "fairness": 25.0,
            "preference": 15.0,
            "tier": 10.0,  # a certified interpreter over an aspirant over a language assistant
        }
    )
