"""Trajectory templates: versioned data (YAML package data), validated on load."""

from datetime import date
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from civic_common.events.contracts.intake import OrganisationType

CEFR_LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")
Cefr = Literal["A1", "A2", "B1", "B2", "C1", "C2"]


class UnknownTemplate(LookupError):
    def __init__(self, kind: str, version: str, known: list[str]) -> None:
        super().__init__(f"geen sjabloon {kind} versie {version}; bekend: {', '.join(known)}")
        self.kind, self.version, self.known = kind, version, known


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Completion(_Spec):
    """Which result counts as completing the component."""

    by: Literal["manual", "hours", "test", "outcome"]
    min_level: Cefr | None = None
    outcomes: tuple[str, ...] = ()


class ComponentSpec(_Spec):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    required: bool = False
    required_when: Literal["job_seeker"] | None = None
    after: tuple[str, ...] = ()
    deadline_working_days: int | None = Field(None, gt=0)
    target_hours: Decimal | None = Field(None, gt=0)
    target_level: Cefr | None = None
    target_sessions: int | None = Field(None, gt=0)
    completion: Completion

    def counts_as_completion(
        self, *, hours: Decimal, passed: bool | None, level: str | None, outcome: str | None
    ) -> bool:
        rule = self.completion
        if rule.by == "hours":
            return self.target_hours is not None and hours >= self.target_hours
        if rule.by == "test":
            return bool(passed) and level_at_least(level, rule.min_level)
        if rule.by == "outcome":
            return outcome in rule.outcomes
        return False  # manual: only a counsellor's decision completes it


class Eligibility(_Spec):
    """What a call asks of an organisation (seed 002): at least ``min_staff`` staff, one of
    ``organisation_types`` (empty: any), a participant in one of the required roles."""

    min_staff: int = Field(0, ge=0)
    organisation_types: tuple[OrganisationType, ...] = ()
    required_participant_roles: tuple[str, ...] = ()
    recommended_participants: int = Field(1, ge=1)


class Template(_Spec):
    kind: str
    version: str
    subject: Literal["person", "organisation"]
    title: str
    attest_prefix: str | None = None
    eligibility: Eligibility | None = None
    components: tuple[ComponentSpec, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _order_refers_to_earlier_components(self) -> "Template":
        seen: set[str] = set()
        for component in self.components:
            if component.code in seen:
                raise ValueError(f"component {component.code} twice")
            if missing := set(component.after) - seen:
                raise ValueError(f"{component.code} follows unknown or later {sorted(missing)}")
            seen.add(component.code)
        return self

    def component(self, code: str) -> ComponentSpec | None:
        return next((c for c in self.components if c.code == code), None)


def level_at_least(level: str | None, minimum: str | None) -> bool:
    if minimum is None:
        return True
    return level in CEFR_LEVELS and CEFR_LEVELS.index(level) >= CEFR_LEVELS.index(minimum)


class PriceRule(_Spec):
    agency: str
    offer: Literal["open", "custom"]
    unit: Literal["per_person_half_day", "per_organisation_half_day"]
    eur: Decimal = Field(ge=0)
    from_: date = Field(alias="from")
    until: date | None = None

    def applies(self, agency: str, offer: str, on: date) -> bool:
        return (
            self.agency in (agency, "*")
            and self.offer == offer
            and self.from_ <= on
            and (self.until is None or on <= self.until)
        )


class Catalogue:
    """Every shipped template by (kind, version), and the price rules."""

    def __init__(self, templates: list[Template], prices: list[PriceRule]) -> None:
        self._templates = {(t.kind, t.version): t for t in templates}
        self.prices = prices

    def get(self, kind: str, version: str) -> Template:
        try:
            return self._templates[(kind, version)]
        except KeyError:
            known = sorted(f"{k} {v}" for k, v in self._templates)
            raise UnknownTemplate(kind, version, known) from None

    def latest(self, kind: str) -> Template:
        versions = [t for (k, _), t in self._templates.items() if k == kind]
        if not versions:
            raise UnknownTemplate(kind, "?", sorted(f"{k} {v}" for k, v in self._templates))
        return max(versions, key=lambda t: tuple(int(p) for p in t.version.split(".")))

    def price(self, agency: str, offer: str, on: date) -> PriceRule | None:
        """The agency's own rule wins over the general one ("*")."""
        rules = [r for r in self.prices if r.applies(agency, offer, on)]
        return min(rules, key=lambda r: r.agency == "*", default=None)


@cache
def shipped() -> Catalogue:
    folder = files("trajecten") / "trajectory_templates"
    templates = [
        Template.model_validate(yaml.safe_load(entry.read_text(encoding="utf-8")))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".yaml") and entry.name != "prices.yaml"
    ]
    prices = yaml.safe_load((folder / "prices.yaml").read_text(encoding="utf-8"))
    return Catalogue(templates, [PriceRule.model_validate(p) for p in prices])
