"""Case-driven booking: trajecten scheduled an appointment for a person who needs an interpreter."""

import logging
from uuid import uuid4

from civic_common.auth.principal import SYSTEM
from civic_common.consumer import EventRejected, Handler
from civic_common.db.uow import UnitOfWork
from civic_common.events.contracts.trajecten import AppointmentScheduled
from civic_common.events.envelope import Envelope
from tolken.adapters.repository import LanguageProfileRepository
from tolken.app.requests import now, receive
from tolken.domain.interpreters import UnknownMunicipality, place_of_municipality
from tolken.domain.policy import Policy
from tolken.domain.requests import Kind, Place, Request

log = logging.getLogger(__name__)
GENERAL_SUBJECT = "algemeen"


def appointment_handler(policy: Policy) -> Handler:
    async def on_appointment_scheduled(
        uow: UnitOfWork, event: AppointmentScheduled, envelope: Envelope
    ) -> None:
        """Books an interpreter request for the appointment when the person needs one."""
        profile = await LanguageProfileRepository(uow.session).get(event.person_id)
        if profile is None or profile.interpreter_language is None:
            log.info("appointment %s: no interpreter needed", event.appointment_id)
            return
        try:
            region, latitude, longitude = place_of_municipality(event.municipality_nis)
        except UnknownMunicipality as exc:
            raise EventRejected(str(exc)) from exc
        modality = profile.modality_for(has_place=event.location is not None)
        subject = (
            event.subject_category if event.subject_category in policy.subjects else GENERAL_SUBJECT
        )
        request = Request(
            id=uuid4(),
            kind=Kind.INTERPRETING,
            organisation=event.organisation,
            language=profile.interpreter_language,
            subject_category=subject,
            urgent=False,
            received_at=now(),
            modality=modality,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            place=Place(event.municipality_nis, event.location, latitude, longitude, region),
            person_id=event.person_id,
            appointment_id=event.appointment_id,
        )
        # Re-delivered appointment events are no-ops: the appointment id is unique.
        await receive(uow, request, SYSTEM, policy)

    return on_appointment_scheduled  # type: ignore[return-value]
