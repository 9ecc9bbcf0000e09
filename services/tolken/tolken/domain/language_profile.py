"""What the interpreter desk knows of a person's languages. Pure: no I/O, no framework."""

from dataclasses import dataclass
from uuid import UUID

from tolken.domain.interpreters import Modality


@dataclass(frozen=True)
class LanguageProfile:
    person_id: UUID
    languages: tuple[str, ...]
    contact_language: str | None
    interpreter_language: str | None
    interpreter_modality: Modality | None = None  # the person's preference, if intake asked
    municipality_nis: str | None = None  # where the person lives: a partner's scope

    def in_scope_of(self, municipality: str | None) -> bool:
        """Whether a partner of ``municipality`` may name this person in its own requests:
        only a partner of a municipality, and only for its inhabitants."""
        return municipality is not None and self.municipality_nis == municipality

    @property
    def needs_interpreter(self) -> bool:
        return self.interpreter_language is not None

    def modality_for(self, has_place: bool) -> Modality:
        """How to interpret at an appointment: the person's preference where the appointment
        allows it (on site needs a place); otherwise on site when there is a place, else video."""
        if self.interpreter_modality is not None and (
            has_place or self.interpreter_modality is not Modality.ON_SITE
        ):
            return self.interpreter_modality
        return Modality.ON_SITE if has_place else Modality.VIDEO
