"""Target group (verplicht / rechthebbend / not in the target group) from versioned rules.

The rules are data (``reference/target_group_rules.yaml``); this module only evaluates them.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

TargetGroup = Literal["obligated", "entitled", "not_in_target_group"]
TARGET_GROUPS: tuple[str, ...] = ("obligated", "entitled", "not_in_target_group")
CONDITIONS = frozenset(
    {
        "region",
        "nationality",
        "nationality_group",
        "residence_category",
        "age_below",
        "age_at_least",
        "missing_any",
    }
)


@dataclass(frozen=True)
class Rule:
    id: str
    when: Mapping[str, Any]
    group: TargetGroup | None
    reason: str


@dataclass(frozen=True)
class RuleSet:
    version: str
    groups: Mapping[str, frozenset[str]]
    rules: Sequence[Rule]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "RuleSet":
        """Refuse a rule file with unknown conditions or groups rather than misjudge people."""
        groups = {name: frozenset(codes) for name, codes in (config.get("groups") or {}).items()}
        rules = []
        for raw in config["rules"]:
            when = raw.get("when") or {}
            if unknown := set(when) - CONDITIONS:
                raise ValueError(f"rule {raw['id']}: unknown conditions {sorted(unknown)}")
            if raw["group"] is not None and raw["group"] not in TARGET_GROUPS:
                raise ValueError(f"rule {raw['id']}: unknown group {raw['group']}")
            if "nationality_group" in when and when["nationality_group"] not in groups:
                raise ValueError(f"rule {raw['id']}: unknown group {when['nationality_group']}")
            rules.append(Rule(raw["id"], when, raw["group"], raw["reason"]))
        if not rules or rules[-1].when:
            raise ValueError("the last rule must have no conditions, so every person is decided")
        return cls(str(config["version"]), groups, rules)


@dataclass(frozen=True)
class Facts:
    birth_date: date | None
    region: str
    nationality: str | None
    residence_category: str | None


@dataclass(frozen=True)
class Decision:
    group: TargetGroup | None
    reason: str
    rule_id: str
    rules_version: str


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def decide(rules: RuleSet, facts: Facts, today: date) -> Decision:
    for rule in rules.rules:
        if all(_holds(rules, name, wanted, facts, today) for name, wanted in rule.when.items()):
            return Decision(rule.group, rule.reason, rule.id, rules.version)
    raise AssertionError("unreachable: the last rule has no conditions")


def _holds(rules: RuleSet, name: str, wanted: Any, facts: Facts, today: date) -> bool:
    match name:
        case "region":
            return facts.region in wanted
        case "nationality":
            return facts.nationality in wanted
        case "nationality_group":
            return facts.nationality in rules.groups[wanted]
        case "residence_category":
            return facts.residence_category in wanted
        case "age_below":
            return facts.birth_date is not None and age_on(facts.birth_date, today) < wanted
        case "age_at_least":
            return facts.birth_date is not None and age_on(facts.birth_date, today) >= wanted
        case "missing_any":
            return any(getattr(facts, field) is None for field in wanted)
    raise ValueError(f"unknown condition {name}")
