"""Person trajectories and their components: a pure state machine (no I/O, no framework).

Every accepted command appends ``Change`` records (who, when, from, to, why); the application
layer stores them as the timeline and publishes one event per change. Each change bumps the
aggregate's version, which is the event's sequence and the ETag.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from trajecten.domain.calendar import add_working_days, working_days_between
from trajecten.domain.templates import ComponentSpec, Template

INBURGERING = "inburgeringstraject"


class TrajectoryStatus(StrEnum):
    OPEN = "open"
    SUSPENDED = "suspended"
    COMPLETED = "completed"
    STOPPED = "stopped"


class ReasonCode(StrEnum):
    """Why a trajectory was suspended, resumed or stopped, or a component exempted: the code
    goes into the event, the staff member's own words stay on the timeline (thin events)."""

    ILLNESS = "illness"
    PREGNANCY = "pregnancy"
    WORK = "work"
    EDUCATION = "education"
    STAY_ABROAD = "stay_abroad"
    FAMILY = "family"
    SUSPENSION_ENDED = "suspension_ended"
    MOVED = "moved"
    LEFT_BELGIUM = "left_belgium"
    DECEASED = "deceased"
    NO_LONGER_OBLIGED = "no_longer_obliged"
    NON_COOPERATION = "non_cooperation"
    PRIOR_QUALIFICATION = "prior_qualification"
    MEDICAL = "medical"
    OTHER = "other"


REASONS: dict[str, tuple[ReasonCode, ...]] = {
    "suspend": (
        ReasonCode.ILLNESS,
        ReasonCode.PREGNANCY,
        ReasonCode.WORK,
        ReasonCode.EDUCATION,
        ReasonCode.STAY_ABROAD,
        ReasonCode.FAMILY,
        ReasonCode.OTHER,
    ),
    "resume": (ReasonCode.SUSPENSION_ENDED, ReasonCode.OTHER),
    "stop": (
        ReasonCode.MOVED,
        ReasonCode.LEFT_BELGIUM,
        ReasonCode.DECEASED,
        ReasonCode.NO_LONGER_OBLIGED,
        ReasonCode.NON_COOPERATION,
        ReasonCode.OTHER,
    ),
    "exempt": (ReasonCode.PRIOR_QUALIFICATION, ReasonCode.MEDICAL, ReasonCode.OTHER),
}


class ComponentStatus(StrEnum):
    PLANNED = "planned"
    STARTED = "started"
    COMPLETED = "completed"
    FAILED = "failed"
    EXEMPTED = "exempted"


TRAJECTORY_TRANSITIONS: dict[TrajectoryStatus, dict[str, TrajectoryStatus]] = {
    TrajectoryStatus.OPEN: {
        "suspend": TrajectoryStatus.SUSPENDED,
        "stop": TrajectoryStatus.STOPPED,
        "complete": TrajectoryStatus.COMPLETED,
    },
    TrajectoryStatus.SUSPENDED: {
        "resume": TrajectoryStatus.OPEN,
        "stop": TrajectoryStatus.STOPPED,
    },
}
COMPONENT_TRANSITIONS: dict[ComponentStatus, dict[str, ComponentStatus]] = {
    ComponentStatus.PLANNED: {"start": ComponentStatus.STARTED, "exempt": ComponentStatus.EXEMPTED},
    ComponentStatus.STARTED: {
        "complete": ComponentStatus.COMPLETED,
        "fail": ComponentStatus.FAILED,
        "exempt": ComponentStatus.EXEMPTED,
    },
    # A failed test can be retaken.
    ComponentStatus.FAILED: {"start": ComponentStatus.STARTED, "exempt": ComponentStatus.EXEMPTED},
}
DONE = frozenset({ComponentStatus.COMPLETED, ComponentStatus.EXEMPTED})
# Staff may ask for these on the trajectory; "complete" only follows from the components.
STAFF_TRAJECTORY_ACTIONS = ("suspend", "resume", "stop")
# Steps that cannot be taken back: they end in a final status (nothing leads on from it), or,
# for "fail", publish a result that stays on record (a retake is a new attempt). Staff confirm
# them, with a reason, before they are taken.
FINAL_ACTIONS = frozenset(
    {
        a
        for m in TRAJECTORY_TRANSITIONS.values()
        for a, to in m.items()
        if to not in TRAJECTORY_TRANSITIONS
    }
    | {
        a
        for m in COMPONENT_TRANSITIONS.values()
        for a, to in m.items()
        if to not in COMPONENT_TRANSITIONS
    }
    | {"fail"}
)
# The steps whose staff's own words (the reason) the last timeline entry may correct.
WORDED_ACTIONS = frozenset({"suspend", "resume", "stop", "exempt", "fail"})
CORRECT_REASON = "correct_reason"


class IllegalTransition(Exception):
    """The action is not allowed from the current status; ``allowed`` lists what is."""

    def __init__(self, subject: str, current: str, action: str, allowed: list[str]) -> None:
        super().__init__(f"{subject}: '{action}' kan niet vanuit status '{current}'")
        self.subject, self.current, self.action, self.allowed = subject, current, action, allowed


class Refused(Exception):
    """A command that is well-formed but conflicts with the trajectory's state."""


class InvalidReason(Exception):
    """A reason code that does not go with the action (``REASONS`` lists what does)."""

    def __init__(self, action: str, code: str) -> None:
        allowed = ", ".join(REASONS[action])
        super().__init__(f"reden '{code}' past niet bij '{action}'; kies uit: {allowed}")
        self.field = "reason_code"


@dataclass
class Change:
    action: str
    from_status: str
    to_status: str
    actor: str
    at: datetime
    sequence: int
    component: str | None = None
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, entry: Mapping[str, Any]) -> "Change":
        """A timeline entry as stored (its other columns ignored)."""
        return cls(**{f.name: entry[f.name] for f in fields(cls)})


@dataclass
class Component:
    code: str
    required: bool
    deadline: date | None
    status: ComponentStatus = ComponentStatus.PLANNED
    hours: Decimal = Decimal(0)
    result: str | None = None
    cefr_level: str | None = None
    provider: str | None = None  # the partner organisation that holds this component
    referred_deadline: date | None = None  # the deadline whose miss was already referred

    @property
    def done(self) -> bool:
        return self.status in DONE


@dataclass
class Trajectory:
    person_id: UUID
    kind: str
    template_version: str
    municipality_nis: str
    opened_at: datetime
    status: TrajectoryStatus = TrajectoryStatus.OPEN
    id: UUID = field(default_factory=uuid4)
    version: int = 1
    target_group: str | None = None
    job_seeker: bool = False
    suspended_on: date | None = None
    attest_number: str | None = None
    closed_at: datetime | None = None
    agency: str | None = None  # the agency whose case this is; None: admins only (visibility.py)
    # The agency it came from, until a counsellor of the new agency takes the case up.
    transferred_from: str | None = None
    components: list[Component] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list, repr=False)

    @classmethod
    def open(
        cls,
        template: Template,
        *,
        person_id: UUID,
        municipality_nis: str,
        opened_at: datetime,
        target_group: str | None,
        actor: str,
        agency: str | None,
        job_seeker: bool = False,
    ) -> "Trajectory":
        start = opened_at.date()
        trajectory = cls(
            person_id=person_id,
            kind=template.kind,
            template_version=template.version,
            municipality_nis=municipality_nis,
            opened_at=opened_at,
            target_group=target_group,
            job_seeker=job_seeker,
            agency=agency,
            components=[
                Component(
                    code=spec.code,
                    required=_required(spec, job_seeker),
                    deadline=add_working_days(start, spec.deadline_working_days)
                    if spec.deadline_working_days
                    else None,
                )
                for spec in template.components
            ],
        )
        trajectory.changes.append(Change("open", "", "open", actor, opened_at, trajectory.version))
        return trajectory

    @property
    def closed(self) -> bool:
        return self.status in (TrajectoryStatus.COMPLETED, TrajectoryStatus.STOPPED)

    @property
    def obligated(self) -> bool:
        return self.target_group == "obligated"

    def component(self, code: str) -> Component:
        for component in self.components:
            if component.code == code:
                return component
        raise Refused(f"dit traject heeft geen onderdeel '{code}'")

    def allowed_actions(
        self, code: str | None = None, template: Template | None = None
    ) -> list[str]:
        """What may be done now, to the trajectory or to one component. With the template, a
        component whose predecessors are not done yet does not offer ``start`` (it would be
        refused)."""
        if code is None:
            return [a for a in TRAJECTORY_TRANSITIONS.get(self.status, {}) if a != "complete"]
        if self.status is not TrajectoryStatus.OPEN:
            return []
        allowed = list(COMPONENT_TRANSITIONS.get(self.component(code).status, {}))
        if template is not None and "start" in allowed and self.waiting_for(template, code):
            allowed.remove("start")
        return allowed

    def waiting_for(self, template: Template, code: str) -> list[str]:
        """The components ``code`` must wait for: its predecessors not done yet."""
        return [p for p in _spec(template, code).after if not self.component(p).done]

    # --- trajectory transitions -------------------------------------------------------------

    def suspend(
        self, reason: str, actor: str, at: datetime, code: ReasonCode = ReasonCode.OTHER
    ) -> None:
        self._move("suspend", actor, at, reason=_reason(reason), details=_coded("suspend", code))
        self.suspended_on = at.date()

    def resume(
        self,
        reason: str,
        actor: str,
        at: datetime,
        code: ReasonCode = ReasonCode.SUSPENSION_ENDED,
    ) -> None:
        """Deadlines do not run while suspended: open ones move by the working days lost."""
        self._move("resume", actor, at, reason=_reason(reason), details=_coded("resume", code))
        lost = working_days_between(self.suspended_on or at.date(), at.date())
        for component in self.components:
            if component.deadline and not component.done and lost:
                component.deadline = add_working_days(component.deadline, lost)
        self.changes[-1].details["deadlines_moved_working_days"] = lost
        self.suspended_on = None

    def stop(
        self, reason: str, actor: str, at: datetime, code: ReasonCode = ReasonCode.OTHER
    ) -> None:
        self._move("stop", actor, at, reason=_reason(reason), details=_coded("stop", code))
        self.closed_at = at

    def ready_for_attest(self) -> bool:
        return self.status is TrajectoryStatus.OPEN and all(
            c.done for c in self.components if c.required
        )

    def issue_attest(self, attest_number: str, actor: str, at: datetime) -> None:
        if not self.ready_for_attest():
            raise Refused("nog niet alle verplichte onderdelen zijn afgerond")
        self._move("complete", actor, at, details={"attest_number": attest_number})
        self.attest_number, self.closed_at = attest_number, at

    def _move(
        self,
        action: str,
        actor: str,
        at: datetime,
        *,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        allowed = TRAJECTORY_TRANSITIONS.get(self.status, {})
        if action not in allowed:
            raise IllegalTransition("traject", self.status, action, self.allowed_actions())
        before, self.status = self.status, allowed[action]
        self._record(action, before, self.status, actor, at, None, reason, details or {})

    # --- component transitions --------------------------------------------------------------

    def start(self, template: Template, code: str, actor: str, at: datetime) -> None:
        waiting = self.waiting_for(template, code)
        if waiting:
            self._require_open(code, "start")
            raise Refused(f"'{code}' kan pas starten na {', '.join(waiting)}")
        self._step(code, "start", actor, at)

    def exempt(
        self,
        code: str,
        reason: str,
        actor: str,
        at: datetime,
        reason_code: ReasonCode = ReasonCode.OTHER,
    ) -> None:
        self._step(
            code, "exempt", actor, at, reason=_reason(reason), details=_coded("exempt", reason_code)
        )

    def fail(self, code: str, actor: str, at: datetime, reason: str | None = None) -> None:
        self._step(code, "fail", actor, at, reason=reason)

    def complete(self, template: Template, code: str, actor: str, at: datetime) -> None:
        """A counsellor's decision; components with a measurable result complete from it."""
        spec = _spec(template, code)
        if spec.completion.by != "manual":
            self._require_open(code, "complete")
            raise Refused(
                f"'{code}' wordt afgerond door een resultaat ({spec.completion.by}), "
                "registreer dat resultaat"
            )
        self._step(code, "complete", actor, at)

    def record_hours(
        self, template: Template, code: str, hours: Decimal, actor: str, at: datetime
    ) -> None:
        spec = _spec(template, code)
        if hours < 0:
            raise Refused("uren kunnen niet negatief zijn")
        if spec.completion.by != "hours" and spec.target_hours is None:
            self._require_open(code, "hours")
            raise Refused(f"'{code}' telt geen uren")
        self._ensure_started(template, code, actor, at)
        component = self.component(code)
        if component.status is not ComponentStatus.STARTED:
            raise IllegalTransition(
                f"onderdeel {code}", component.status, "hours", self.allowed_actions(code)
            )
        component.hours += hours
        self._record(
            "hours",
            component.status,
            component.status,
            actor,
            at,
            code,
            None,
            {"hours": str(hours), "total": str(component.hours)},
        )
        if spec.counts_as_completion(hours=component.hours, passed=None, level=None, outcome=None):
            component.result = "hours_reached"
            self._step(code, "complete", actor, at, details={"hours": str(component.hours)})

    def record_test(
        self,
        template: Template,
        code: str,
        passed: bool,
        level: str | None,
        actor: str,
        at: datetime,
        reason: str | None = None,
    ) -> None:
        """A test's result: it completes the component or fails it. ``reason``: staff's words
        for a result that fails it (the timeline keeps them; they are not needed otherwise)."""
        spec = _spec(template, code)
        if spec.completion.by != "test":
            self._require_open(code, "test")
            raise Refused(f"'{code}' is geen test")
        self._ensure_started(template, code, actor, at)
        component = self.component(code)
        component.result, component.cefr_level = ("passed" if passed else "failed"), level
        details = {"passed": passed, "cefr_level": level}
        counts = spec.counts_as_completion(
            hours=component.hours, passed=passed, level=level, outcome=None
        )
        words = None if counts or reason is None else _reason(reason)
        self._step(code, "complete" if counts else "fail", actor, at, reason=words, details=details)

    def test_fails(self, template: Template, code: str, passed: bool, level: str | None) -> bool:
        """Whether recording this test result would fail the component (not passed, or below
        the level it needs): a final step, which staff confirm with a reason first."""
        spec = template.component(code)
        return (
            spec is not None
            and spec.completion.by == "test"
            and not spec.counts_as_completion(
                hours=self.component(code).hours, passed=passed, level=level, outcome=None
            )
        )

    def record_outcome(
        self, template: Template, code: str, outcome: str, actor: str, at: datetime
    ) -> None:
        spec = _spec(template, code)
        if spec.completion.by != "outcome":
            self._require_open(code, "outcome")
            raise Refused(f"'{code}' kent geen uitkomsten")
        self._ensure_started(template, code, actor, at)
        component = self.component(code)
        component.result = outcome
        if spec.counts_as_completion(
            hours=component.hours, passed=None, level=None, outcome=outcome
        ):
            self._step(code, "complete", actor, at, details={"outcome": outcome})
        else:
            self._record(
                "outcome",
                component.status,
                component.status,
                actor,
                at,
                code,
                None,
                {"outcome": outcome},
            )

    def register_job_seeker(self, actor: str, at: datetime) -> None:
        """Job seekers must also follow the VDAB referral components of the template."""
        self._require_open(None, "job_seeker")
        if self.job_seeker:
            return
        self.job_seeker = True
        self._record("job_seeker", self.status, self.status, actor, at, None, None, {})

    def transfer(self, to_agency: str, actor: str, at: datetime) -> None:
        """The person's case moved to another agency; closed trajectories move too (their
        history is the new agency's case file). Moving to the current agency changes nothing."""
        if self.agency == to_agency:
            return
        details = {"from_agency": self.agency, "to_agency": to_agency}
        self.transferred_from = self.agency or "onbekend"
        self.agency = to_agency
        self._record("transfer", self.status, self.status, actor, at, None, None, details)

    def move_to_person(
        self, into: UUID, actor: str, at: datetime, also_open: Sequence[UUID] = ()
    ) -> None:
        """Intake merged the person's record into another record of the same person (``into``):
        the trajectory, open or closed, is that person's from now on, with its history.
        ``also_open``: the survivor's open trajectories of the same kind, when this one is open
        too; both stay (neither counsellor's work is thrown away) and the entry flags them, so
        the counsellor stops the one that is not followed. Moving to the person it already
        belongs to changes nothing."""
        if self.person_id == into:
            return
        details: dict[str, Any] = {"from_person": str(self.person_id), "to_person": str(into)}
        if also_open and not self.closed:
            details["also_open"] = [str(i) for i in also_open]
        self.person_id = into
        self._record("merge_person", self.status, self.status, actor, at, None, None, details)

    def flag_duplicate(self, other: UUID, actor: str, at: datetime) -> None:
        """Another open trajectory of the same kind joined this person through a merge of their
        records in intake: the timeline says which, for the counsellor to choose."""
        details = {"also_open": [str(other)]}
        self._record("duplicate_open", self.status, self.status, actor, at, None, None, details)

    def take_up(self, actor: str, at: datetime) -> None:
        """A counsellor of the receiving agency takes the transferred case up: it leaves the
        incoming list. Taking up a case that is not incoming is refused."""
        if self.transferred_from is None:
            raise Refused("dit traject wacht niet op overname")
        details = {"from_agency": self.transferred_from}
        self.transferred_from = None
        self._record("take_up", self.status, self.status, actor, at, None, None, details)

    def correct(
        self, *, municipality_nis: str, target_group: str | None, actor: str, at: datetime
    ) -> bool:
        """Intake corrected the person: the trajectory follows their municipality (and with it
        which OCMW's scope it is in) and their target group. Obligation follows the target
        group: a person corrected to entitled is no longer referred for missed deadlines, and
        one corrected to obligated is, against the deadlines set at the opening (the decree
        counts them from registration). Closed trajectories keep what they were closed with.
        Returns whether anything changed (a timeline entry says what)."""
        if self.closed:
            return False
        details: dict[str, Any] = {}
        if municipality_nis != self.municipality_nis:
            details["municipality_nis"] = {"from": self.municipality_nis, "to": municipality_nis}
        if target_group != self.target_group:
            details["target_group"] = {"from": self.target_group, "to": target_group}
        if not details:
            return False
        self.municipality_nis, self.target_group = municipality_nis, target_group
        self._record("correct", self.status, self.status, actor, at, None, None, details)
        return True

    def correctable(self, last: Change) -> bool:
        """Whether ``last`` is the timeline's last entry and carries staff's words."""
        action = last.details.get("action") if last.action == CORRECT_REASON else last.action
        return last.sequence == self.version and action in WORDED_ACTIONS and bool(last.reason)

    def correct_reason(self, last: Change, reason: str, actor: str, at: datetime) -> None:
        """Correct the words of the timeline's last entry (a typo, the wrong words): a
        correction is an entry of its own naming the one it corrects, whose words stay on
        record. Only the last entry, and only a step carrying staff's words; the step itself
        stands (its event went out with a reason code, never the words)."""
        if last.sequence != self.version:
            raise Refused("alleen de laatste stap van de tijdlijn kan gecorrigeerd worden")
        if not self.correctable(last):
            raise Refused("de laatste stap heeft geen reden om te corrigeren")
        new = _reason(reason)
        if new == last.reason:
            raise Refused("de nieuwe reden is dezelfde als de vorige")
        if last.action == CORRECT_REASON:  # a correction of a correction names the original
            details = {"corrects": last.details["corrects"], "action": last.details["action"]}
        else:
            details = {"corrects": last.sequence, "action": last.action}
        status = self.component(last.component).status if last.component else self.status
        self._record(CORRECT_REASON, status, status, actor, at, last.component, new, details)

    def apply_job_seeker_rule(self, template: Template) -> None:
        for spec in template.components:
            self.component(spec.code).required = _required(spec, self.job_seeker)

    def claim(self, code: str, organisation: str) -> None:
        """A partner takes on a component; another partner's claim on it is refused."""
        component = self.component(code)
        if component.provider not in (None, organisation):
            raise NotYours(code, component.provider)
        component.provider = organisation

    def missed_deadlines(self, today: date) -> list[Component]:
        """Components of an obligated person past their deadline and not yet referred."""
        if self.status is not TrajectoryStatus.OPEN or not self.obligated:
            return []
        return [
            c
            for c in self.components
            if c.required
            and not c.done
            and c.deadline is not None
            and c.deadline < today
            and c.referred_deadline != c.deadline
        ]

    def refer_missed_deadlines(self, today: date, at: datetime) -> list[Component]:
        """Mark the misses (so each is referred once) and record them on the timeline."""
        missed = self.missed_deadlines(today)
        for component in missed:
            component.referred_deadline = component.deadline
            self._record(
                "deadline_missed",
                component.status,
                component.status,
                "system",
                at,
                component.code,
                None,
                {"deadline": str(component.deadline)},
            )
        return missed

    def _ensure_started(self, template: Template, code: str, actor: str, at: datetime) -> None:
        # A partner's result implies the component began (an enrolment may never have been sent).
        if self.component(code).status in (ComponentStatus.PLANNED, ComponentStatus.FAILED):
            self.start(template, code, actor, at)

    def _require_open(self, code: str | None, action: str) -> None:
        if self.status is not TrajectoryStatus.OPEN:
            raise IllegalTransition("traject", self.status, action, self.allowed_actions())

    def _step(
        self,
        code: str,
        action: str,
        actor: str,
        at: datetime,
        *,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self._require_open(code, action)
        component = self.component(code)
        allowed = COMPONENT_TRANSITIONS.get(component.status, {})
        if action not in allowed:
            raise IllegalTransition(f"onderdeel {code}", component.status, action, list(allowed))
        before, component.status = component.status, allowed[action]
        self._record(action, before, component.status, actor, at, code, reason, details or {})

    def _record(
        self,
        action: str,
        before: str,
        after: str,
        actor: str,
        at: datetime,
        code: str | None,
        reason: str | None,
        details: dict[str, Any],
    ) -> None:
        self.version += 1
        self.changes.append(
            Change(action, str(before), str(after), actor, at, self.version, code, reason, details)
        )


class NotYours(Exception):
    def __init__(self, code: str, provider: str | None) -> None:
        super().__init__(f"onderdeel '{code}' wordt door een andere partner opgevolgd")
        self.code, self.provider = code, provider


def _spec(template: Template, code: str) -> ComponentSpec:
    spec = template.component(code)
    if spec is None:
        raise Refused(f"dit traject heeft geen onderdeel '{code}'")
    return spec


def _required(spec: ComponentSpec, job_seeker: bool) -> bool:
    return spec.required or (spec.required_when == "job_seeker" and job_seeker)


def _coded(action: str, code: ReasonCode) -> dict[str, Any]:
    if code not in REASONS[action]:
        raise InvalidReason(action, code)
    return {"reason_code": str(code)}


def _reason(reason: str) -> str:
    if not reason.strip():
        raise Refused("een reden is verplicht")
    return reason.strip()


def opens_trajectory(target_group: str | None) -> bool:
    """Open an integration trajectory unless intake found the person outside the target group.

    An unknown target group still opens one: a counsellor can stop it, whereas a missed
    trajectory for an obligated newcomer goes unnoticed.
    """
    return target_group != "not_in_target_group"
