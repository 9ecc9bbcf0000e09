"""The versioned catalogue of training themes (``training_themes/<version>.yaml``): codes with
Dutch labels and validity. Trajecten accepts only its codes; reports group on them."""

import re
import unicodedata
from datetime import date
from functools import cache
from importlib.resources import files

import yaml
from pydantic import BaseModel, ConfigDict, Field

UNMAPPED = "overig-ongemapt"


class UnknownTheme(Exception):  # not a ValueError: pydantic must not swallow it
    def __init__(self, code: str, version: str) -> None:
        super().__init__(f"geen thema '{code}' in de themalijst {version}")
        self.field = "theme_code"


class Theme(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[a-z][a-z0-9-]{1,60}$")
    label: str = Field(min_length=1, max_length=200)
    valid_from: date | None = None
    valid_until: date | None = None
    assignable: bool = True
    aliases: tuple[str, ...] = ()

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )


class ThemeCatalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(pattern=r"^\d{4}\.\d+$")
    valid_from: date
    themes: tuple[Theme, ...] = Field(min_length=1)

    def get(self, code: str) -> Theme | None:
        return next((t for t in self.themes if t.code == code), None)

    def label(self, code: str) -> str:
        found = self.get(code)
        if found is None:
            raise UnknownTheme(code, self.version)
        return found.label

    def assign(self, code: str, on: date) -> Theme:
        """The theme a training may be given on ``on``: in this catalogue, chosen by people
        (not the migration's unmapped code) and valid that day."""
        found = self.get(code)
        if found is None or not found.assignable or not found.valid_on(on):
            raise UnknownTheme(code, self.version)
        return found

    def match(self, free_text: str) -> str:
        """The code a free-text theme from before the catalogue means: its label or one of its
        aliases, ignoring case, accents and punctuation; ``UNMAPPED`` when none does."""
        wanted = _plain(free_text)
        for theme in self.themes:
            if theme.assignable and wanted in {_plain(theme.label), *map(_plain, theme.aliases)}:
                return theme.code
        return UNMAPPED


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.findall(r"[a-z0-9]+", letters))


@cache
def theme_catalogue(version: str | None = None) -> ThemeCatalogue:
    """A shipped version of the catalogue; the newest without ``version``."""
    folder = files("trajecten") / "training_themes"
    shipped = {
        entry.name.removesuffix(".yaml"): entry
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    }
    if version is None:
        version = max(shipped, key=lambda v: tuple(int(p) for p in v.split(".")))
    if version not in shipped:
        raise LookupError(f"geen themalijst versie {version}; bekend: {', '.join(sorted(shipped))}")
    raw = yaml.safe_load(shipped[version].read_text(encoding="utf-8"))
    return ThemeCatalogue.model_validate(raw)
