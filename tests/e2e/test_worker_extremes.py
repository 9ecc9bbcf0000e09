"""Whatever an API accepts, its own worker can apply (issue 18).

For every event type some service consumes (the consumer matrix, walked from the contracts),
events carrying the extreme values their producing API allows: the longest texts with unusual
but valid characters, the first and last dates and moments the edge guard lets through
(1900 to 2999), the largest counts and amounts, the longest lists, and a snapshot as large as
trajecten lets it grow. They go onto the event's topic with every process running, and each
consumer's inbox must show the event applied (not dead-lettered), with every worker still up.

A new event type without a case here fails ``test_every_consumed_event_type_has_a_case``.
"""

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from civic_common.api.guard import FIRST_YEAR, LAST_YEAR
from civic_common.db.engine import asyncpg_dsn
from civic_common.events.catalogue import consumer_matrix
from civic_common.events.contracts import deadletter_topic
from civic_common.events.contracts.base import EventData
from civic_common.events.contracts.intake import (
    CandidacySubmitted,
    OrganisationRegistered,
    PersonCorrected,
    PersonErased,
    PersonMerged,
    PersonRegistered,
    PersonTransferred,
)
from civic_common.events.contracts.rapportage import (
    HistoricalOrganisationTrajectoryImported,
    HistoricalTrainingsImported,
)
from civic_common.events.contracts.reporting import (
    ComponentProgress,
    CostLine,
    Evaluation,
    ParticipatingOrganisation,
    Session,
)
from civic_common.events.contracts.tolken import (
    RequestAssigned,
    RequestCancelled,
    RequestCompleted,
    RequestReceived,
    RequestUnfulfilled,
)
from civic_common.events.contracts.trajecten import (
    AppointmentScheduled,
    ComponentCompleted,
    ComponentExempted,
    ComponentFailed,
    ComponentStarted,
    DeadlineMissed,
    LegalBasisExpiring,
    OrganisationTrajectoryRecorded,
    SubscriptionDisabled,
    SubscriptionFailing,
    TrainingRecorded,
    TrajectoryCompleted,
    TrajectoryOpened,
    TrajectoryResumed,
    TrajectoryStopped,
    TrajectorySuspended,
)
from civic_common.events.envelope import Envelope
from civic_common.testing.waiting import eventually
from intake.domain.kbo import make_enterprise_number
from rapportage.domain.historical import MAX_AMOUNT, MAX_COUNT
from trajecten.api.organisations import MAX_COST_LINES, MAX_PARTICIPANTS, MAX_SESSIONS
from trajecten.app.organisations import MAX_SNAPSHOT_BYTES
from trajecten.domain.themes import theme_catalogue
from trajecten.domain.trajectory import ReasonCode

pytestmark = pytest.mark.e2e

# Unusual but valid: accents, a ligature, astral characters (one code point, four UTF-8
# bytes), right-to-left and CJK letters, quotes, a backslash, a formula-leading sign.
UNUSUAL = "=Zoë Ŝtraße-ʼOʹBrïen 𝒜😀 لا 中文 'q\" \\ % @ "
FIRST_DAY, LAST_DAY = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)
FIRST_MOMENT = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
LAST_MOMENT = datetime(LAST_YEAR, 12, 31, 23, 59, 59, tzinfo=UTC)
# The longest codes the APIs take: an agency (AgencyCode) and a token's subject (Keycloak).
AGENCY = "a" + "-b" * 31
SUBJECT = ("subject-" + UNUSUAL * 20)[:255]
LANGUAGES = "ar fr en tr ru uk fa ps ti so es pt ro bg pl sq am ku ur zh".split()  # 20: the most
NIS = "38025"  # Veurne: no other e2e test counts there


def line(n: int) -> str:
    """``n`` characters on one line: the longest a ``line(n)`` field takes."""
    return (UNUSUAL * (n // len(UNUSUAL) + 1))[:n]


def text(n: int) -> str:
    """``n`` characters over several lines, with tabs: the longest a ``text(n)`` field takes."""
    return (("regel\tmet tab " + UNUSUAL + "\r\n") * (n // 40 + 1))[:n]


def now() -> datetime:
    return datetime.now(UTC)


def ids() -> uuid.UUID:
    return uuid.uuid4()


# --- intake (staff API: persons, organisations, candidacies) ----------------------------------


def person_registered() -> list[EventData]:
    return [
        PersonRegistered(
            person_id=ids(),
            registered_at=now(),
            municipality_nis=NIS,
            target_group="obligated",
            languages=LANGUAGES,
            contact_language="prs",
            interpreter_language="prs",
            interpreter_modality="video",
            dutch_level="C2",
            nationality="SY",
            residence_category="recognised_refugee",
            agency=AGENCY,
        )
    ]


def person_corrected() -> list[EventData]:
    fields = list(PersonCorrected.model_fields)
    return [
        PersonCorrected(
            person_id=ids(),
            corrected_at=now(),
            changed_fields=fields,
            municipality_nis=NIS,
            languages=LANGUAGES,
            nationality="ZW",
            agency=AGENCY,
        )
    ]


def person_transferred() -> list[EventData]:
    return [
        PersonTransferred(
            person_id=ids(), transferred_at=now(), from_agency=AGENCY, to_agency=AGENCY[::-1]
        )
    ]


def person_erased() -> list[EventData]:
    return [PersonErased(person_id=ids(), erased_at=now())]


def person_merged() -> list[EventData]:
    # Records no consumer holds anything of (registered elsewhere, or long erased).
    return [PersonMerged(person_id=ids(), into=ids(), merged_at=now())]


def organisation_registered() -> list[EventData]:
    return [
        OrganisationRegistered(
            organisation_id=ids(),
            enterprise_number=make_enterprise_number(19_999_999),
            name=line(300),
            organisation_type="care_and_welfare",
            staff_size=1_000_000,  # OrganisationIn's most
            municipality_nis=NIS,
            registered_at=now(),
        )
    ]


def candidacy_submitted() -> list[EventData]:
    common = dict(
        organisation_id=ids(),
        organisation_type="school",
        staff_size=1_000_000,
        municipality_nis=NIS,
        participant_roles=["manager", "diversity_officer", "staff_member", "other"] * 2
        + ["manager", "other"],  # CandidacyIn's most: 10
        motivation=text(5000),
        submitted_at=now(),
    )
    return [
        CandidacySubmitted(candidacy_id=ids(), kind="custom_training", theme=line(200), **common),
        CandidacySubmitted(
            candidacy_id=ids(), kind="learning_and_coaching", call_id=ids(), **common
        ),
    ]


# --- trajecten (staff and partner API, periodic jobs) ------------------------------------------


def _trajectory() -> dict:
    return {"trajectory_id": ids(), "person_id": ids()}


def trajectory_opened() -> list[EventData]:
    return [
        TrajectoryOpened(
            **_trajectory(),
            kind="inburgeringstraject",
            template_version="2024.1",
            opened_at=now(),
            municipality_nis=NIS,
        )
    ]


def appointment_scheduled() -> list[EventData]:
    def at(starts: datetime, ends: datetime) -> AppointmentScheduled:
        return AppointmentScheduled(
            appointment_id=ids(),
            **_trajectory(),
            starts_at=starts,
            ends_at=ends,
            municipality_nis=NIS,
            location=line(300),
            organisation=AGENCY,
            subject_category=line(100),
        )

    # The first and the last moments an Instant takes (Brussels: the year 3000 begins).
    return [
        at(FIRST_MOMENT, FIRST_MOMENT + timedelta(minutes=1)),
        at(LAST_MOMENT - timedelta(hours=1), LAST_MOMENT),
    ]


LONGEST_REASON = max((code.value for code in ReasonCode), key=len)
LONGEST_COMPONENT = "vdab_referral"


def _transition(model: type) -> Callable[[], list[EventData]]:
    def build() -> list[EventData]:
        return [model(**_trajectory(), occurred_at=now(), actor=SUBJECT, reason=LONGEST_REASON)]

    return build


def trajectory_completed() -> list[EventData]:
    return [
        TrajectoryCompleted(
            **_trajectory(),
            occurred_at=now(),
            actor=SUBJECT,
            attest_number=f"INB-{LAST_YEAR}-{2**31 - 1}",
            kind="inburgeringstraject",
            template_version="2024.1",
            municipality_nis=NIS,
        )
    ]


def deadline_missed() -> list[EventData]:
    return [
        DeadlineMissed(
            **_trajectory(),
            component=LONGEST_COMPONENT,
            deadline=day,
            occurred_at=now(),
            municipality_nis=NIS,
        )
        for day in (FIRST_DAY, LAST_DAY)
    ]


def component_started() -> list[EventData]:
    return [
        ComponentStarted(
            **_trajectory(), component=LONGEST_COMPONENT, occurred_at=now(), actor=SUBJECT
        )
    ]


def component_completed() -> list[EventData]:
    return [
        ComponentCompleted(
            **_trajectory(),
            component="nt2_test",
            occurred_at=now(),
            actor=SUBJECT,
            result=line(100),
            cefr_level="C2",
            hours=Decimal("2000"),  # ProgressIn's most
        )
    ]


def component_failed() -> list[EventData]:
    return [
        ComponentFailed(
            **_trajectory(),
            component="mo_test",
            occurred_at=now(),
            actor=SUBJECT,
            result=line(100),
            cefr_level="A1",
        )
    ]


def component_exempted() -> list[EventData]:
    return [
        ComponentExempted(
            **_trajectory(),
            component=LONGEST_COMPONENT,
            occurred_at=now(),
            actor=SUBJECT,
            reason=LONGEST_REASON,
        )
    ]


def _names(count: int, length: int) -> list[str]:
    return [f"{n:03d} " + line(length - 4) for n in range(count)]


def _reportable(trainers: int) -> dict:
    """What trainings and organisation trajectories share, every list as long as the API lets
    it be, ``trainers`` names of 200 characters on each session."""
    return dict(
        agencies=[f"a{n:02d}" + "-x" * 29 for n in range(20)],  # 20 agencies of 61 characters
        region="regio-overschrijdend",
        sessions=[
            Session(
                held_on=FIRST_DAY if n % 2 else LAST_DAY,
                half_days=10,
                place=line(200),
                trainers=_names(trainers, 200),
            )
            for n in range(MAX_SESSIONS)
        ],
        participating_organisations=[
            ParticipatingOrganisation(
                organisation_id=ids(),
                name=f"{n:03d} " + line(296),
                organisation_type="other",
                participants=100_000,
            )
            for n in range(MAX_PARTICIPANTS)
        ],
        cost_lines=[
            CostLine(
                description=line(500),
                amount_eur=Decimal("100000000.00"),
                borne_by=line(50),
            )
            for _ in range(MAX_COST_LINES)
        ],
        staff_hours=Decimal("10000000.00"),  # 1,000 additions of StaffHoursIn's most
        evaluation=Evaluation(invited=1_000_000, responded=1_000_000, satisfied=1_000_000),
    )


def _largest(build: Callable[[int], EventData]) -> EventData:
    """The snapshot with the most trainers per session that trajecten still publishes."""
    for trainers in range(50, -1, -1):
        event = build(trainers)
        size = len(event.model_dump_json().encode())
        if size <= MAX_SNAPSHOT_BYTES:
            assert size > MAX_SNAPSHOT_BYTES * 0.9, "not at the limit: the case proves less"
            return event
    raise AssertionError("no snapshot fits")


def training_recorded() -> list[EventData]:
    themes = theme_catalogue()
    longest = max((t for t in themes.themes if t.assignable), key=lambda t: len(t.label))
    return [
        _largest(
            lambda trainers: TrainingRecorded(
                training_id=ids(),
                offer="custom",
                theme=longest.label,
                theme_code=longest.code,
                theme_catalogue=themes.version,
                title=line(300),
                description=text(5000),
                status="held",
                organisers=_names(50, 200),
                external_partners=_names(50, 200),
                outcome="adjusted",
                **_reportable(trainers),
            )
        )
    ]


def organisation_trajectory_recorded() -> list[EventData]:
    return [
        _largest(
            lambda trainers: OrganisationTrajectoryRecorded(
                organisation_trajectory_id=ids(),
                call_id=ids(),
                template_version="2019.1",
                components=[
                    ComponentProgress(
                        code=code, status="completed", started_on=FIRST_DAY, completed_on=LAST_DAY
                    )
                    for code in ("intake_call", "learning_network", "coaching", "evaluation")
                ],
                edition=f"{FIRST_YEAR}-{LAST_YEAR}",  # sessions may fall in any year between
                partners=_names(50, 200),
                goal=text(2000),
                content=text(5000),
                status="completed",
                groups=100,
                results=text(5000),
                evaluation_criteria=_names(50, 200),
                **_reportable(trainers),
            )
        )
    ]


def subscription_disabled() -> list[EventData]:
    return [
        SubscriptionDisabled(
            subscription_id=ids(),
            organisation=AGENCY,
            consecutive_failures=MAX_COUNT,
            last_status_code=599,
            disabled_at=now(),
        )
    ]


def subscription_failing() -> list[EventData]:
    return [
        SubscriptionFailing(
            subscription_id=ids(),
            organisation=AGENCY,
            consecutive_failures=MAX_COUNT,
            disable_after_failures=MAX_COUNT,
            last_status_code=None,
            at=now(),
        )
    ]


def legal_basis_expiring() -> list[EventData]:
    return [
        LegalBasisExpiring(
            subscription_id=ids(), organisation=AGENCY, legal_basis=line(100), valid_until=day
        )
        for day in (FIRST_DAY, LAST_DAY)
    ]


# --- tolken (requests, desk) --------------------------------------------------------------------


def request_received() -> list[EventData]:
    common = dict(
        organisation=line(200),  # DeskRequestIn's most
        language="prs",
        subject_category=line(50),
        urgent=True,
        person_id=ids(),
        appointment_id=ids(),
        received_at=now(),
    )
    return [
        RequestReceived(
            request_id=ids(),
            kind="interpreting",
            modality="on_site",
            starts_at=LAST_MOMENT - timedelta(hours=24),
            ends_at=LAST_MOMENT,
            **common,
        ),
        RequestReceived(request_id=ids(), kind="translation", deadline=LAST_MOMENT, **common),
    ]


def request_assigned() -> list[EventData]:
    return [
        RequestAssigned(
            request_id=ids(),
            assignment_id=ids(),
            interpreter_id=ids(),
            language="prs",
            modality="video",
            starts_at=LAST_MOMENT - timedelta(hours=24),
            ends_at=LAST_MOMENT,
            by_desk=True,
        )
    ]


def request_completed() -> list[EventData]:
    return [
        RequestCompleted(
            request_id=ids(),
            interpreter_id=ids(),
            actual_minutes=24 * 60,  # CompletionIn's most
            completed_at=now(),
        )
    ]


def request_cancelled() -> list[EventData]:
    return [
        RequestCancelled(request_id=ids(), interpreter_id=ids(), billable=True, cancelled_at=now())
    ]


def request_unfulfilled() -> list[EventData]:
    # A reason code now; records from before 2026-12 hold the desk's words (UnfulfilledIn: 500).
    return [
        RequestUnfulfilled(request_id=ids(), language="prs", modality="phone", reason=reason)
        for reason in ("no_candidate", text(500))
    ]


# --- rapportage (historical imports: one row of a CSV or XLSX file) ------------------------------


def historical_trainings() -> list[EventData]:
    return [
        HistoricalTrainingsImported(
            record_id=ids(),
            import_id=ids(),
            year=year,
            agencies=[f"a{n:02d}" + "-x" * 29 for n in range(20)],
            offer="open",
            region="Brussel",
            theme=line(2000),
            title=line(2000),
            description=text(100_000),  # a cell has no length of its own: the file's size bounds it
            trainings=MAX_COUNT,
            organisers=_names(200, 200),
            local_government_participants=MAX_COUNT,
            other_participants=MAX_COUNT,
            other_organisations=_names(200, 200),
            cost_eur=MAX_AMOUNT,
            staff_hours=MAX_AMOUNT,
            cost_registered=True,
            staff_hours_registered=True,
            invited=MAX_COUNT,
            responded=MAX_COUNT,
            satisfied=MAX_COUNT,
            outcome="continued",
        )
        for year in (1990, 2100)
    ]


def historical_organisation_trajectory() -> list[EventData]:
    return [
        HistoricalOrganisationTrajectoryImported(
            record_id=ids(),
            import_id=ids(),
            edition="1990-2099",
            agencies=[AGENCY],
            partners=_names(200, 200),
            region="West-Vlaanderen",
            goal=text(20_000),
            content=text(100_000),
            organisations=MAX_COUNT,
            participants=MAX_COUNT,
            organisation_names=_names(200, 300),
            cost_eur=MAX_AMOUNT,
            staff_hours=MAX_AMOUNT,
            cost_registered=True,
            staff_hours_registered=True,
            results=text(20_000),
            evaluation_criteria=_names(200, 200),
            sessions=MAX_COUNT,
            groups=MAX_COUNT,
            invited=MAX_COUNT,
            responded=MAX_COUNT,
            satisfied=MAX_COUNT,
        )
    ]


EXTREMES: dict[str, Callable[[], list[EventData]]] = {
    "intake.person.registered.v1": person_registered,
    "intake.person.corrected.v1": person_corrected,
    "intake.person.transferred.v1": person_transferred,
    "intake.person.erased.v1": person_erased,
    "intake.person.merged.v1": person_merged,
    "intake.organisation.registered.v1": organisation_registered,
    "intake.candidacy.submitted.v1": candidacy_submitted,
    "trajecten.trajectory.opened.v1": trajectory_opened,
    "trajecten.appointment.scheduled.v1": appointment_scheduled,
    "trajecten.trajectory.suspended.v1": _transition(TrajectorySuspended),
    "trajecten.trajectory.resumed.v1": _transition(TrajectoryResumed),
    "trajecten.trajectory.stopped.v1": _transition(TrajectoryStopped),
    "trajecten.trajectory.completed.v1": trajectory_completed,
    "trajecten.trajectory.deadline-missed.v1": deadline_missed,
    "trajecten.trajectory.component-started.v1": component_started,
    "trajecten.trajectory.component-completed.v1": component_completed,
    "trajecten.trajectory.component-failed.v1": component_failed,
    "trajecten.trajectory.component-exempted.v1": component_exempted,
    "trajecten.training.recorded.v1": training_recorded,
    "trajecten.organisation-trajectory.recorded.v1": organisation_trajectory_recorded,
    "trajecten.subscription.disabled.v1": subscription_disabled,
    "trajecten.subscription.failing.v1": subscription_failing,
    "trajecten.legal-basis.expiring.v1": legal_basis_expiring,
    "tolken.request.received.v1": request_received,
    "tolken.request.assigned.v1": request_assigned,
    "tolken.request.completed.v1": request_completed,
    "tolken.request.cancelled.v1": request_cancelled,
    "tolken.request.unfulfilled.v1": request_unfulfilled,
    "rapportage.historical-trainings.imported.v1": historical_trainings,
    "rapportage.historical-organisation-trajectory.imported.v1": (
        historical_organisation_trajectory
    ),
}


def test_every_consumed_event_type_has_a_case():
    """Walks the contracts: a new consumed event type needs its extremes here."""
    consumed = set(consumer_matrix())
    assert consumed, "no consumers found: the walk would prove nothing"
    assert sorted(consumed - set(EXTREMES)) == [], "consumed, but no extreme case"
    assert sorted(set(EXTREMES) - consumed) == [], "a case for a type nobody consumes"
    for event_type, build in EXTREMES.items():
        events = build()
        assert events and all(e.event_type == event_type for e in events), event_type


async def send(infra, prefix: str, events: list[EventData]) -> list[uuid.UUID]:
    producer = AIOKafkaProducer(
        bootstrap_servers=infra.kafka_bootstrap, acks="all", max_request_size=1_048_576
    )
    await producer.start()
    sent = []
    try:
        for event in events:
            key = str(uuid.uuid4())
            envelope = Envelope(
                type=event.event_type,
                source="/civic/e2e-extremes",
                partitionkey=key,
                sequence=1,
                data=event.model_dump(mode="json"),
            )
            await producer.send_and_wait(
                prefix + event.topic,
                envelope.value(),
                key=key.encode(),
                headers=[(k, v.encode()) for k, v in envelope.headers().items()],
            )
            sent.append(envelope.id)
    finally:
        await producer.stop()
    return sent


async def outcomes(system, service: str, sent: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """How ``service``'s worker handled each sent event, from its inbox: the event's own type
    when applied, "deadletter" when parked."""
    conn = await asyncpg.connect(asyncpg_dsn(system.db.url(service)))
    try:
        rows = await conn.fetch(
            f"SELECT event_id, event_type FROM {service}.inbox WHERE event_id = ANY($1)", sent
        )
    finally:
        await conn.close()
    return {r["event_id"]: r["event_type"] for r in rows}


async def deadletter_reasons(infra, prefix: str, service: str) -> dict[str, str]:
    """Why ``service`` parked what it parked: the reason on each record of its dead-letter
    topic, by the parked event's id (read only when a case failed, to say why)."""
    consumer = AIOKafkaConsumer(
        prefix + deadletter_topic(service),
        bootstrap_servers=infra.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        batches = await consumer.getmany(timeout_ms=5000)
    finally:
        await consumer.stop()
    reasons = {}
    for records in batches.values():
        for record in records:
            headers = {k: (v or b"").decode() for k, v in record.headers}
            reasons[headers.get("ce_id", "?")] = headers.get("dlq_reason", "?")
    return reasons


@pytest.mark.parametrize("event_type", sorted(EXTREMES))
async def test_each_consumer_applies_the_extremes_its_api_allows(system, infra, event_type):
    consumers = consumer_matrix()[event_type]
    sent = await send(infra, system.topic_prefix, EXTREMES[event_type]())
    for service in consumers:

        async def handled(service: str = service) -> dict[uuid.UUID, str] | None:
            found = await outcomes(system, service, sent)
            return found if len(found) == len(sent) else None

        found = await eventually(handled, within=60)
        if set(found.values()) != {event_type}:
            why = await deadletter_reasons(infra, system.topic_prefix, service)
            parked = {
                str(i): why.get(str(i), "?") for i, kind in found.items() if kind != event_type
            }
            pytest.fail(f"{service} did not apply every {event_type}: {parked}")
    down = [p.name for p in system.processes.values() if not p.running]
    assert not down, f"stopped: {down}"
