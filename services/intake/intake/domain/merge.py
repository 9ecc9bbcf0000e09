"""Merging two records of one person (samenvoegen). Pure: no I/O, no framework.

The counter registered the same newcomer twice (e.g. once without INSZ last year): one record
survives, the other becomes "merged into" the survivor and is shown nowhere any more. Field by
field, the counter chooses which record's value the survivor keeps; by default its own, or the
other's where its own is empty. Their household links are joined. Whether two records may be
merged at all is decided here too (``merge_refusal``).
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from intake.domain.person import Person

Side = Literal["survivor", "other"]

# The fields the counter chooses between, in the order the pages show them. Not chosen: the id,
# the registration (the survivor's), the agency (both must be the same), derived fields (the
# target group is derived again from what is kept) and the near-duplicate flags (joined).
CHOSEN_FIELDS: tuple[str, ...] = (
    "insz",
    "given_name",
    "family_name",
    "birth_date",
    "sex",
    "nationality",
    "municipality_nis",
    "street",
    "house_number",
    "postal_code",
    "languages",
    "contact_language",
    "interpreter_language",
    "interpreter_modality",
    "residence_category",
    "education",
    "literacy",
    "dutch_level",
    "needs_childcare",
    "needs_mobility_support",
    "consent_data_sharing",
    "legal_basis",
)


SAME_RECORD = "Een persoon kan niet met zichzelf samengevoegd worden."


class MergeRefused(Exception):
    """These two records may not be merged; ``message`` says why, in Dutch."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidChoice(Exception):
    """A choice names a field that is not chosen between, or a side that is no side."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(sorted(errors)))
        self.errors = errors


@dataclass(frozen=True)
class FieldComparison:
    """One field of both records side by side, and which side the survivor keeps by default."""

    name: str
    survivor: Any
    other: Any
    default: Side

    @property
    def differs(self) -> bool:
        return _empty(self.survivor) != _empty(self.other) or self.survivor != self.other


@dataclass(frozen=True)
class Merge:
    """The outcome: the survivor as it will be and the record merged away."""

    survivor: Person
    merged: Person
    taken_from_other: tuple[str, ...]


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == ""


def merge_refusal(survivor: Person, other: Person) -> str | None:
    """Why these two records cannot be merged (Dutch), or None when they can."""
    if survivor.id == other.id:
        return SAME_RECORD
    for person, which in ((survivor, "Dit dossier"), (other, "Het andere dossier")):
        if person.erased_at is not None:
            return f"{which} is gewist op verzoek en kan niet samengevoegd worden."
        if person.merged_into is not None:
            return f"{which} is al samengevoegd met een ander dossier."
    if survivor.agency != other.agency:
        return (
            "De twee dossiers horen bij verschillende agentschappen. Draag eerst het ene over "
            "aan het agentschap van het andere."
        )
    if survivor.insz and other.insz and survivor.insz != other.insz:
        return (
            "De twee dossiers hebben een verschillend INSZ: het zijn twee verschillende personen."
        )
    return None


def compare(survivor: Person, other: Person) -> list[FieldComparison]:
    """Every chosen field of both records, with the side kept by default: the survivor's own
    value, or the other's where the survivor's is empty (a value is never lost by default)."""
    return [
        FieldComparison(
            name,
            getattr(survivor, name),
            getattr(other, name),
            "other"
            if _empty(getattr(survivor, name)) and not _empty(getattr(other, name))
            else "survivor",
        )
        for name in CHOSEN_FIELDS
    ]


def merge(survivor: Person, other: Person, choices: Mapping[str, str], at: datetime) -> Merge:
    """The survivor with the values chosen (``choices``: field -> "survivor" or "other"; a field
    not named keeps its default, see ``compare``) and the other record merged into it.

    Household links are joined (a link between the two records goes: it would point at the
    person themselves), near-duplicate flags too (less the two records). The other record keeps
    what it held for the history, less its INSZ when the survivor takes it (an INSZ belongs to
    one record). Raises MergeRefused or InvalidChoice; versions count up by one each."""
    if refusal := merge_refusal(survivor, other):
        raise MergeRefused(refusal)
    errors = {
        name: "Geen veld om te kiezen." if name not in CHOSEN_FIELDS else "Kies dit of het andere."
        for name, side in choices.items()
        if name not in CHOSEN_FIELDS or side not in ("survivor", "other")
    }
    if errors:
        raise InvalidChoice(errors)
    taken = tuple(
        c.name
        for c in compare(survivor, other)
        if c.differs and choices.get(c.name, c.default) == "other"
    )
    pair = {str(survivor.id), str(other.id)}
    household = [link for link in survivor.household if str(link["person_id"]) not in pair]
    members = {str(link["person_id"]) for link in household}
    household += [
        link
        for link in other.household
        if str(link["person_id"]) not in pair and str(link["person_id"]) not in members
    ]
    flags = [
        flag
        for flag in dict.fromkeys([*survivor.possible_duplicates, *other.possible_duplicates])
        if str(flag) not in pair
    ]
    kept = replace(
        survivor,
        **{name: getattr(other, name) for name in taken},
        household=household,
        possible_duplicates=flags,
        version=survivor.version + 1,
    )
    merged = replace(
        other,
        insz=None if kept.insz == other.insz else other.insz,
        household=[],
        possible_duplicates=[],
        merged_into=survivor.id,
        merged_at=at,
        version=other.version + 1,
    )
    return Merge(kept, merged, taken)
