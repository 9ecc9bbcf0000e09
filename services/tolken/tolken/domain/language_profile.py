"""What the interpreter desk knows of a person's languages. Pure: no I/O, no framework."""

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class LanguageProfile:
    person_id: UUID
    languages: tuple[str, ...]
    contact_language: str | None
    interpreter_language: str | None

    @property
    def needs_interpreter(self) -> bool:
        return self.interpreter_language is not None
