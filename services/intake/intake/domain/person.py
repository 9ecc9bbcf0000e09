"""A newcomer as registered at the counter. Pure: no I/O, no framework."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID, uuid4

import pycountry

from intake.domain.insz import InvalidInsz, parse_insz

Sex = Literal["female", "male", "x"]
InterpreterModality = Literal["on_site", "phone", "video"]
ResidenceCategory = Literal[
    "recognised_refugee",
    "subsidiary_protection",
    "family_reunification",
    "labour_migrant",
    "eu_citizen",
    "student",
    "temporary_protection",
    "international_protection_applicant",
    "other",
]
Education = Literal["none", "primary", "lower_secondary", "upper_secondary", "higher", "unknown"]
Literacy = Literal["literate", "literate_other_script", "low_literate", "not_literate"]
CefrLevel = Literal["none", "A1", "A2", "B1", "B2", "C1", "C2"]
LegalBasis = Literal["consent", "legal_obligation", "public_task"]
HouseholdRelation = Literal["partner", "child", "parent", "other"]
# A household link seen from the other side: A is B's child, so B is A's parent.
INVERSE_RELATION: dict[str, str] = {
    "partner": "partner",
    "child": "parent",
    "parent": "child",
    "other": "other",
}


def mirrored_household(
    links: list[dict[str, Any]], member_id: str, relation: str | None
) -> list[dict[str, Any]]:
    """A household member's own links once this person's link to them says ``relation``: one
    link back with the inverse relation, or none when the link was taken away (None)."""
    kept = [link for link in links if link["person_id"] != member_id]
    if relation is None:
        return kept
    return [*kept, {"person_id": member_id, "relation": INVERSE_RELATION[relation]}]


# What erasure removes: everything that identifies the person. Kept: the facts the statistics
# count (month, municipality, nationality, residence category, target group).
PERSONAL_FIELDS: tuple[str, ...] = (
    "insz",
    "given_name",
    "family_name",
    "birth_date",
    "sex",
    "street",
    "house_number",
    "postal_code",
    "household",
)


@dataclass
class Person:
    given_name: str | None
    family_name: str | None
    birth_date: date | None
    municipality_nis: str
    registered_at: datetime
    insz: str | None = None
    sex: Sex | None = None
    nationality: str | None = None
    languages: list[str] = field(default_factory=list)
    contact_language: str | None = None
    street: str | None = None
    house_number: str | None = None
    postal_code: str | None = None
    residence_category: ResidenceCategory | None = None
    household: list[dict[str, Any]] = field(default_factory=list)
    education: Education | None = None
    literacy: Literacy | None = None
    dutch_level: CefrLevel | None = None
    interpreter_language: str | None = None
    interpreter_modality: InterpreterModality | None = None
    needs_childcare: bool = False
    needs_mobility_support: bool = False
    consent_data_sharing: bool | None = None
    legal_basis: LegalBasis | None = None
    target_group: str | None = None
    target_group_reason: str | None = None
    target_group_rules_version: str | None = None
    possible_duplicates: list[UUID] = field(default_factory=list)
    erased_at: datetime | None = None
    # Merged into another record of the same person (domain/merge.py): that record's id.
    merged_into: UUID | None = None
    merged_at: datetime | None = None
    id: UUID = field(default_factory=uuid4)
    version: int = 1
    # The agency whose case this is (domain/agency.py); always given, never defaulted.
    agency: str = field(kw_only=True)

    def __post_init__(self) -> None:
        if self.birth_date is not None and self.birth_date > self.registered_at.date():
            raise ValueError("birth_date lies in the future")
        if self.contact_language and self.contact_language not in self.languages:
            self.languages.append(self.contact_language)


FieldErrors = dict[str, str]


def check_person(person: Person, known_nis: Mapping[str, object], today: date) -> FieldErrors:
    """Every rule that spans fields or needs reference data, as Dutch messages per field."""
    errors: FieldErrors = {}
    if person.birth_date is not None and person.birth_date > today:
        errors["birth_date"] = "De geboortedatum ligt in de toekomst."
    if person.municipality_nis not in known_nis:
        errors["municipality_nis"] = "Deze NIS-code is geen bestaande gemeente (sinds 2025)."
    if person.insz is not None:
        try:
            facts = parse_insz(person.insz)
        except InvalidInsz as exc:
            errors["insz"] = f"Dit INSZ is ongeldig: {exc}."
        else:
            if person.birth_date is not None and facts.contradicts_birth_date(person.birth_date):
                errors["birth_date"] = "De geboortedatum klopt niet met het INSZ."
            if facts.sex and person.sex in ("female", "male") and facts.sex != person.sex:
                errors["sex"] = "Het geslacht klopt niet met het INSZ."
    if (
        person.nationality is not None
        and pycountry.countries.get(alpha_2=person.nationality) is None
    ):
        errors["nationality"] = "Onbekende landcode (ISO 3166, twee letters, bv. SY)."
    for name in ("contact_language", "interpreter_language"):
        code = getattr(person, name)
        if code is not None and not is_language(code):
            errors[name] = "Onbekende taalcode (ISO 639, bv. ar of prs)."
    if any(not is_language(code) for code in person.languages):
        errors["languages"] = "Onbekende taalcode (ISO 639, bv. ar of prs)."
    if any(link["person_id"] == str(person.id) for link in person.household):
        errors["household"] = "Een persoon kan niet tot zijn eigen gezin gelinkt worden."
    members = [str(link["person_id"]) for link in person.household]
    if len(members) != len(set(members)):
        errors["household"] = "Noem elk gezinslid één keer, met één relatie."
    return errors


def is_language(code: str) -> bool:
    if len(code) == 2:
        return pycountry.languages.get(alpha_2=code) is not None
    return pycountry.languages.get(alpha_3=code) is not None
