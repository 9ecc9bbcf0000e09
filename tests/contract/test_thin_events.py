"""Thin events: no event carries free text about a person.

Every string field of every contract is either constrained by its schema (a pattern, an enum or
a format) or named below with what it holds. A new unconstrained string fails this test until
someone has looked at it and said here why it is not free text about a person. Events about
people (on the topics below) may hold only codes, identifiers and places, never prose.
"""

from typing import Any

import pytest

from civic_common.events.catalogue import load_contracts

pytestmark = pytest.mark.contract

CODE = "a code from a catalogue kept in code (template, component, language, result, reason, …)"
IDENTIFIER = "a staff subject, an organisation code or an attest number, never a person's name"
PLACE = "where an appointment is held (an office or room), which the interpreter must reach"
NUMBER = "a decimal sent as a string so it keeps its precision"
ORGANISATION = "about a training or an organisation and its staff team, never about a newcomer"

PERSON_TOPICS = ("intake.persons", "trajecten.trajectories", "tolken.requests")
ALLOWED_ON_PERSON_TOPICS = {CODE, IDENTIFIER, PLACE, NUMBER}

REVIEWED: dict[str, dict[str, str]] = {
    "intake.person.registered.v1": {
        "languages[]": CODE,
        "contact_language": CODE,
        "interpreter_language": CODE,
        "residence_category": CODE,
    },
    "intake.person.corrected.v1": {
        "changed_fields[]": CODE,
        "languages[]": CODE,
        "contact_language": CODE,
        "interpreter_language": CODE,
        "residence_category": CODE,
    },
    "intake.organisation.registered.v1": {"name": ORGANISATION},
    "intake.candidacy.submitted.v1": {
        "participant_roles[]": CODE,
        "motivation": ORGANISATION,
        "theme": ORGANISATION,
    },
    "trajecten.appointment.scheduled.v1": {
        "location": PLACE,
        "organisation": IDENTIFIER,
        "subject_category": CODE,
    },
    "trajecten.subscription.disabled.v1": {"organisation": IDENTIFIER},
    "trajecten.subscription.failing.v1": {"organisation": IDENTIFIER},
    "trajecten.legal-basis.expiring.v1": {"organisation": IDENTIFIER, "legal_basis": CODE},
    "trajecten.trajectory.opened.v1": {"kind": CODE, "template_version": CODE},
    "trajecten.trajectory.completed.v1": {
        "actor": IDENTIFIER,
        "attest_number": IDENTIFIER,
        "kind": CODE,
        "template_version": CODE,
    },
    "trajecten.trajectory.component-started.v1": {"component": CODE, "actor": IDENTIFIER},
    "trajecten.trajectory.component-completed.v1": {
        "component": CODE,
        "actor": IDENTIFIER,
        "result": CODE,
        "cefr_level": CODE,
        "hours": NUMBER,
    },
    "trajecten.trajectory.component-failed.v1": {
        "component": CODE,
        "actor": IDENTIFIER,
        "result": CODE,
        "cefr_level": CODE,
    },
    # reason: a code since 2026-12 (trajecten.domain.trajectory.ReasonCode); the schema cannot
    # say so without breaking v1, whose older events held the staff member's words.
    "trajecten.trajectory.component-exempted.v1": {
        "component": CODE,
        "actor": IDENTIFIER,
        "reason": CODE,
    },
    "trajecten.trajectory.suspended.v1": {"actor": IDENTIFIER, "reason": CODE},
    "trajecten.trajectory.resumed.v1": {"actor": IDENTIFIER, "reason": CODE},
    "trajecten.trajectory.stopped.v1": {"actor": IDENTIFIER, "reason": CODE},
    "trajecten.trajectory.deadline-missed.v1": {"component": CODE},
    "tolken.interpreter.recorded.v1": {"languages[]": CODE, "regions[]": CODE},
    "tolken.request.received.v1": {
        "language": CODE,
        "organisation": IDENTIFIER,
        "subject_category": CODE,
    },
    "tolken.request.offered.v1": {"language": CODE},
    "tolken.request.assigned.v1": {"language": CODE},
    # reason: a code since 2026-12 (tolken.domain.requests.UnfulfilledCode), as above.
    "tolken.request.unfulfilled.v1": {"language": CODE, "reason": CODE},
    "rapportage.report.published.v1": {"report_id": CODE},
    # Imported history of trainings: about trainings and organisations, never about newcomers.
    "rapportage.historical-trainings.imported.v1": {
        "agencies[]": IDENTIFIER,
        "cost_eur": NUMBER,
        "staff_hours": NUMBER,
        "description": ORGANISATION,
        "organisers[]": ORGANISATION,
        "other_organisations[]": ORGANISATION,
        "theme": ORGANISATION,
        "title": ORGANISATION,
    },
    "rapportage.historical-organisation-trajectory.imported.v1": {
        "agencies[]": IDENTIFIER,
        "cost_eur": NUMBER,
        "staff_hours": NUMBER,
        "content": ORGANISATION,
        "evaluation_criteria[]": ORGANISATION,
        "goal": ORGANISATION,
        "organisation_names[]": ORGANISATION,
        "partners[]": ORGANISATION,
        "results": ORGANISATION,
    },
    **{
        event_type: {
            "agencies[]": IDENTIFIER,
            "sessions[].place": ORGANISATION,
            "sessions[].trainers[]": ORGANISATION,
            "participating_organisations[].name": ORGANISATION,
            "cost_lines[].description": ORGANISATION,
            "cost_lines[].amount_eur": NUMBER,
            "cost_lines[].borne_by": IDENTIFIER,
            "staff_hours": NUMBER,
        }
        | extra
        for event_type, extra in {
            "trajecten.training.recorded.v1": {
                "theme": ORGANISATION,
                "title": ORGANISATION,
                "description": ORGANISATION,
                "organisers[]": ORGANISATION,
                "external_partners[]": ORGANISATION,
            },
            "trajecten.organisation-trajectory.recorded.v1": {
                "edition": CODE,
                "partners[]": ORGANISATION,
                "goal": ORGANISATION,
                "content": ORGANISATION,
                "results": ORGANISATION,
                "evaluation_criteria[]": ORGANISATION,
            },
        }.items()
    },
}


def unconstrained_strings(schema: dict[str, Any]) -> set[str]:
    defs = schema.get("$defs", {})
    found: set[str] = set()

    def walk(node: dict[str, Any], path: str) -> None:
        if "$ref" in node:
            walk(defs[node["$ref"].rsplit("/", 1)[-1]], path)
            return
        for key in ("anyOf", "oneOf", "allOf"):
            for variant in node.get(key, []):
                walk(variant, path)
        kind = node.get("type")
        if kind == "string" and not {"pattern", "enum", "const", "format"} & node.keys():
            found.add(path)
        elif kind == "object":
            for name, sub in node.get("properties", {}).items():
                walk(sub, f"{path}.{name}" if path else name)
        elif kind == "array" and "items" in node:
            walk(node["items"], f"{path}[]")

    walk(schema, "")
    return found


@pytest.mark.parametrize("event_type", sorted(load_contracts()))
def test_every_unconstrained_string_has_been_reviewed(event_type):
    model = load_contracts()[event_type]
    found = unconstrained_strings(model.model_json_schema())
    reviewed = REVIEWED.get(event_type, {})
    assert found == set(reviewed), (
        f"{event_type}: unreviewed free strings {sorted(found - set(reviewed))}; "
        f"reviewed but gone {sorted(set(reviewed) - found)}"
    )
    if model.topic in PERSON_TOPICS:
        prose = {f: why for f, why in reviewed.items() if why not in ALLOWED_ON_PERSON_TOPICS}
        assert not prose, f"{event_type} is about a person and may not carry prose: {prose}"


def test_the_walk_finds_free_strings():
    """The check above could pass by finding nothing; it finds a nested free string."""
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "string", "pattern": "^x$"},
            "b": {"type": "array", "items": {"$ref": "#/$defs/N"}},
        },
        "$defs": {"N": {"type": "object", "properties": {"note": {"type": "string"}}}},
    }
    assert unconstrained_strings(schema) == {"b[].note"}
