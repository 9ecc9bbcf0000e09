"""A newcomer as registered at the counter. Pure: no I/O, no framework."""

from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID, uuid4


@dataclass
class Person:
    given_name: str
    family_name: str
    birth_date: date
    municipality_nis: str
    registered_at: datetime
    languages: list[str] = field(default_factory=list)
    contact_language: str | None = None
    interpreter_language: str | None = None
    id: UUID = field(default_factory=uuid4)
    version: int = 1

    def __post_init__(self) -> None:
        if self.birth_date > self.registered_at.date():
            raise ValueError("birth_date lies in the future")
        if self.contact_language and self.contact_language not in self.languages:
            self.languages.append(self.contact_language)
