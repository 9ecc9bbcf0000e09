"""Reference data shipped with intake: municipalities after the 2025 mergers and the
target-group rules. Loaded once per process; both carry a version."""

import json
import os
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

import yaml

from intake.domain.target_group import RuleSet

# Lets an operator switch to a newer rule version without a release.
RULES_ENV = "CIVIC_INTAKE_TARGET_GROUP_RULES"


@dataclass(frozen=True)
class Municipality:
    nis: str
    name: str
    province: str | None  # None for the 19 Brussels municipalities: no province
    region: str


@cache
def municipalities() -> dict[str, Municipality]:
    data = json.loads(files(__package__).joinpath("municipalities.json").read_text("utf-8"))
    return {
        m["nis"]: Municipality(m["nis"], m["name"], m["province"], m["region"])
        for m in data["municipalities"]
    }


@cache
def target_group_rules() -> RuleSet:
    override = os.environ.get(RULES_ENV)
    text = (
        Path(override).read_text("utf-8")
        if override
        else files(__package__).joinpath("target_group_rules.yaml").read_text("utf-8")
    )
    return RuleSet.from_config(yaml.safe_load(text))
