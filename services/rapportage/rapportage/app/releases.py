"""Releases: the shareable reports a partner can get together, protected together.

A partner may ask for any shareable report of a family with the same scope and parameters, so
the small counts of all of them are suppressed as one release (``domain.disclosure``): what one
table hides, no other table of the family gives back by subtraction. Each family says which
units its tables count (its atoms, read here) and, per report, which cell each atom counts in
(its linkage). Every published count is checked against its atoms before anything leaves.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from civic_common.agencies import display
from rapportage.adapters.tables import components, intakes, trainings, trajectories
from rapportage.app.catalogue import CATALOGUE, STATUSES, VDAB_REFERRAL, Params, held_trainings
from rapportage.domain.disclosure import Atom, Contribution, Linkage, Protected, protect
from rapportage.domain.reports import Table, region_label, region_of_nis
from rapportage.settings import RapportageSettings

UNKNOWN = "onbekend"


@dataclass(frozen=True)
class Intake:
    month: date
    nis: str
    nationality: str | None
    category: str | None
    agency: str | None
    dutch_level: str | None


@dataclass(frozen=True)
class Step:
    component: str
    status: str
    result: str | None


@dataclass(frozen=True)
class Trajectory:
    month: date
    nis: str
    kind: str
    status: str
    overdue: bool
    steps: tuple[Step, ...]


def _person(atom: Atom) -> tuple[Intake | None, tuple[Trajectory, ...]]:
    intake, held = atom.key
    return intake, held


async def newcomer_atoms(session: AsyncSession, params: Params) -> list[Atom]:
    """One atom per kind of person: their intake and their trajectories with the components,
    alike in every attribute the newcomer reports use; ``units`` how many such persons."""
    i, t, c = intakes.c, trajectories.c, components.c
    held = select(trajectories)
    if params.municipality_nis:
        held = held.where(t.municipality_nis == params.municipality_nis)
    rows = (await session.execute(held)).all()
    steps: dict[Any, list[Step]] = {}
    ids = [r.trajectory_id for r in rows]
    if ids:
        for s in await session.execute(
            select(c.trajectory_id, c.component, c.status, c.result).where(c.trajectory_id.in_(ids))
        ):
            steps.setdefault(s.trajectory_id, []).append(Step(s.component, s.status, s.result))
    asked = select(intakes)
    if params.municipality_nis:
        persons = [r.person_id for r in rows if r.person_id is not None]
        asked = asked.where(
            or_(i.municipality_nis == params.municipality_nis, i.person_id.in_(persons))
        )
    people: dict[Any, tuple[Intake | None, list[Trajectory]]] = {
        r.person_id: (
            Intake(r.month, r.municipality_nis, r.nationality, r.residence_category, r.agency,
                   r.dutch_level),
            [],
        )
        for r in await session.execute(asked)
    }  # fmt: skip
    for r in rows:
        who = r.person_id if r.person_id is not None else r.trajectory_id
        mine = tuple(sorted(steps.get(r.trajectory_id, []), key=repr))
        people.setdefault(who, (None, []))[1].append(
            Trajectory(r.month, r.municipality_nis, r.kind, r.status, r.overdue, mine)
        )
    kinds: dict[tuple[Any, ...], int] = {}
    for intake, held_by in people.values():
        key = (intake, tuple(sorted(held_by, key=repr)))
        kinds[key] = kinds.get(key, 0) + 1
    return [Atom(key, n) for key, n in sorted(kinds.items(), key=lambda kv: repr(kv[0]))]


def _within(params: Params, month: date, nis: str, intake: Intake | None) -> bool:
    """The newcomer filters as the reports apply them (``catalogue._newcomers``)."""
    if params.from_year is not None and month.year < params.from_year:
        return False
    if params.to_year is not None and month.year > params.to_year:
        return False
    if params.municipality_nis and nis != params.municipality_nis:
        return False
    if params.region and region_of_nis(nis) != params.region:
        return False
    return not (params.agency and (intake is None or intake.agency != params.agency))


def _or_unknown(value: str | None) -> str:
    return UNKNOWN if value is None else value


LinkageFor = Callable[[Params, RapportageSettings], Linkage]


def _intakes_per_month(params: Params, _: RapportageSettings) -> Linkage:
    def cells(atom: Atom) -> Iterable[Contribution]:
        intake, _ = _person(atom)
        if intake is not None and _within(params, intake.month, intake.nis, intake):
            row = (intake.month.strftime("%Y-%m"), intake.nis,
                   _or_unknown(intake.nationality), _or_unknown(intake.category))  # fmt: skip
            yield Contribution(row, "intakes")

    return cells


def _trajectories_per_month(params: Params, _: RapportageSettings) -> Linkage:
    def cells(atom: Atom) -> Iterable[Contribution]:
        intake, held = _person(atom)
        for t in held:
            if _within(params, t.month, t.nis, intake):
                row = (t.month.strftime("%Y-%m"), t.nis, t.kind, STATUSES.get(t.status, t.status))
                yield Contribution(row, "trajectories")

    return cells


STATUS_COLUMNS = {
    "opened": "running",
    "suspended": "suspended",
    "stopped": "stopped",
    "completed": "completed",
}


def _stand(t: Trajectory, columns: dict[str, str]) -> Iterable[str]:
    """The count columns of a trajectory's stand: started, its status, overdue."""
    yield "started"
    if t.status in columns:
        yield columns[t.status]
    if t.overdue:
        yield "overdue"


def _trajectory_status(params: Params, _: RapportageSettings) -> Linkage:
    def cells(atom: Atom) -> Iterable[Contribution]:
        intake, held = _person(atom)
        for t in held:
            if _within(params, t.month, t.nis, intake):
                for column in _stand(t, STATUS_COLUMNS):
                    yield Contribution((t.nis,), column)

    return cells


def _newcomers_per_region_and_agency(params: Params, settings: RapportageSettings) -> Linkage:
    columns = {"opened": "running", "completed": "completed"}

    def agency(intake: Intake | None) -> str:
        code = intake.agency if intake is not None else None
        return display(_or_unknown(code), settings.agencies)

    def cells(atom: Atom) -> Iterable[Contribution]:
        intake, held = _person(atom)
        if intake is not None and _within(params, intake.month, intake.nis, intake):
            row = (region_label(region_of_nis(intake.nis)), agency(intake))
            yield Contribution(row, "intakes")
        for t in held:
            if _within(params, t.month, t.nis, intake):
                row = (region_label(region_of_nis(t.nis)), agency(intake))
                for column in _stand(t, columns):
                    yield Contribution(row, column)

    return cells


def _trajectory_status_by_origin(params: Params, _: RapportageSettings) -> Linkage:
    def cells(atom: Atom) -> Iterable[Contribution]:
        intake, held = _person(atom)
        row = (
            _or_unknown(intake.nationality if intake else None),
            _or_unknown(intake.category if intake else None),
        )
        for t in held:
            if _within(params, t.month, t.nis, intake):
                for column in _stand(t, STATUS_COLUMNS):
                    yield Contribution(row, column)

    return cells


def _component_results(params: Params, _: RapportageSettings) -> Linkage:
    columns = {"completed": "passed", "failed": "failed", "exempted": "exempted"}

    def cells(atom: Atom) -> Iterable[Contribution]:
        intake, held = _person(atom)
        for t in held:
            if _within(params, t.month, t.nis, intake):
                for step in t.steps:
                    yield Contribution((step.component,), "started")
                    if step.status in columns:
                        yield Contribution((step.component,), columns[step.status])

    return cells


def _vdab_referrals(params: Params, _: RapportageSettings) -> Linkage:
    """Two tables: the flow by nationality and Dutch level, and the outcomes by result."""
    columns = {"started": "under_way", "completed": "completed", "failed": "failed"}

    def cells(atom: Atom) -> Iterable[Contribution]:
        intake, held = _person(atom)
        row = (
            _or_unknown(intake.nationality if intake else None),
            _or_unknown(intake.dutch_level if intake else None),
        )
        for t in held:
            if _within(params, t.month, t.nis, intake):
                for step in t.steps:
                    if step.component == VDAB_REFERRAL:
                        yield Contribution(("flow", *row), "referred")
                        if step.status in columns:
                            yield Contribution(("flow", *row), columns[step.status])
                        if step.status == "completed":
                            yield Contribution(("result", _or_unknown(step.result)), "completed")

    return cells


def _split(linkage: Linkage, which: str) -> Linkage:
    """One table's share of a linkage that feeds two tables (rows tagged with ``which``)."""

    def cells(atom: Atom) -> Iterable[Contribution]:
        for part in linkage(atom):
            if part.row[0] == which:
                yield Contribution(part.row[1:], part.column, part.weight)

    return cells


Atoms = Callable[[AsyncSession, Params], Any]


@dataclass(frozen=True)
class Family:
    name: str
    atoms: Atoms
    # Per report: one linkage per table it returns.
    reports: dict[str, Callable[[Params, RapportageSettings], list[Linkage]]]


def _one(make: LinkageFor) -> Callable[[Params, RapportageSettings], list[Linkage]]:
    return lambda params, settings: [make(params, settings)]


def _vdab(params: Params, settings: RapportageSettings) -> list[Linkage]:
    both = _vdab_referrals(params, settings)
    return [_split(both, "flow"), _split(both, "result")]


NEWCOMERS = Family(
    "newcomers",
    newcomer_atoms,
    {
        "intakes-per-month": _one(_intakes_per_month),
        "trajectories-per-month": _one(_trajectories_per_month),
        "trajectory-status": _one(_trajectory_status),
        "newcomers-per-region-and-agency": _one(_newcomers_per_region_and_agency),
        "trajectory-status-by-origin": _one(_trajectory_status_by_origin),
        "component-results": _one(_component_results),
        "vdab-referrals": _vdab,
    },
)


async def training_atoms(session: AsyncSession, params: Params) -> list[Atom]:
    """The trainings the training reports hold (the same filter, ``held_trainings``), grouped
    by every attribute those reports use, one atom per measure: trainings, participants of
    local governments, other participants (an attacker's unknowns are amounts per group)."""
    t = trainings.c
    # A theme as trainings-per-theme shows it: by catalogue code, named by its label (the
    # largest, should a later catalogue relabel it); a theme without a code by its own text.
    theme = func.coalesce(t.theme_code, "~" + t.theme)
    keys = (t.year, t.region, theme, t.offer, t.agencies, t.joint)
    query = held_trainings(
        select(
            *keys,
            func.max(t.theme),
            func.sum(t.trainings),
            func.sum(t.local_government_participants),
            func.sum(t.other_participants),
        ).group_by(*keys),
        params,
    )
    found = list(await session.execute(query))
    labels: dict[str, str] = {}
    for _, _, code, _, _, _, label, *_ in found:
        labels[code] = max(labels.get(code, label), label)
    atoms = []
    for year, region, code, offer, agencies, joint, _, n, local, other in found:
        group = (year, region, labels[code], offer, tuple(agencies), bool(joint))
        for measure, amount in (("trainings", n), ("local", local), ("other", other)):
            if amount:
                atoms.append(Atom((*group, measure), int(amount)))
    return sorted(atoms, key=repr)


def _training(atom: Atom) -> tuple[int, str, str, str | None, tuple[str, ...], bool, str]:
    year, region, theme, offer, agencies, joint, measure = atom.key
    return year, region, theme, offer, agencies, joint, measure


def _per_year(_: Params, __: RapportageSettings) -> Linkage:
    def cells(atom: Atom) -> Iterable[Contribution]:
        year, *_, measure = _training(atom)
        if measure == "trainings":
            yield Contribution((str(year),), "trainings")

    return cells


def _pivot(label: Callable[[tuple[Any, ...]], str], total_row: str, total_column: bool) -> Linkage:
    def cells(atom: Atom) -> Iterable[Contribution]:
        key = _training(atom)
        if key[-1] != "trainings":
            return
        for row in ((label(key),), (total_row,)):
            yield Contribution(row, str(key[0]))
            if total_column:
                yield Contribution(row, "total")

    return cells


def _per_region(_: Params, __: RapportageSettings) -> Linkage:
    return _pivot(lambda key: region_label(key[1]), "Totaal", False)


def _per_theme(_: Params, __: RapportageSettings) -> Linkage:
    return _pivot(lambda key: key[2], "Totaal aantal vormingen", True)


def _cost_and_vte(params: Params, settings: RapportageSettings) -> list[Linkage]:
    """Three tables: trainings per year; per year and agency (a joint one for each of its
    agencies); who bore the cost (amounts only)."""

    def per_year(atom: Atom) -> Iterable[Contribution]:
        year, *_, measure = _training(atom)
        if measure == "trainings":
            yield Contribution((str(year),), "trainings")

    def per_agency(atom: Atom) -> Iterable[Contribution]:
        year, _, _, _, agencies, joint, measure = _training(atom)
        if measure != "trainings":
            return
        for code in agencies:
            if params.agency and code != params.agency:
                continue
            row = (str(year), display(code, settings.agencies))
            yield Contribution(row, "trainings")
            if joint:
                yield Contribution(row, "joint")

    def nothing(_: Atom) -> Iterable[Contribution]:
        return ()

    return [per_year, per_agency, nothing]


def _per_offer(_: Params, __: RapportageSettings) -> Linkage:
    offers = {"open": "open", "custom": "custom", None: "offer_unknown"}
    measures = {"local": "local_government_participants", "other": "other_participants"}

    def cells(atom: Atom) -> Iterable[Contribution]:
        year, _, _, offer, _, _, measure = _training(atom)
        row = (str(year),)
        if measure == "trainings":
            yield Contribution(row, offers.get(offer, "offer_unknown"))
            yield Contribution(row, "trainings")
        else:
            yield Contribution(row, measures[measure])
            yield Contribution(row, "participants")

    return cells


TRAININGS = Family(
    "trainings",
    training_atoms,
    {
        "trainings-per-year": _one(_per_year),
        "trainings-per-region": _one(_per_region),
        "trainings-per-theme": _one(_per_theme),
        "cost-and-vte-per-year": _cost_and_vte,
        "trainings-per-offer": _one(_per_offer),
    },
)

FAMILIES: dict[str, Family] = {
    report_id: family for family in (NEWCOMERS, TRAININGS) for report_id in family.reports
}


@dataclass(frozen=True)
class Release:
    """Every table of one family for one scope and parameters, protected together."""

    reports: dict[str, list[Table]]
    protected: Protected


async def one_snapshot(session: AsyncSession) -> None:
    """Begin the session's transaction at REPEATABLE READ, or check that it was begun so."""
    if not session.in_transaction():
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        return
    level = await session.scalar(text("SHOW transaction_isolation"))
    if level not in ("repeatable read", "serializable"):
        raise RuntimeError(f"a release needs one snapshot, read at {level}: begin with it")


async def release(
    session: AsyncSession, family: Family, params: Params, settings: RapportageSettings
) -> Release:
    """Reads every table and the atoms in one snapshot (REPEATABLE READ): the worker commits
    while a release is read, and tables and atoms from different moments would not add up."""
    await one_snapshot(session)
    tables: list[Table] = []
    linkages: list[Linkage] = []
    spans: dict[str, tuple[int, int]] = {}
    for report_id, linked in family.reports.items():
        found = await CATALOGUE[report_id].query(session, params, settings)
        links = linked(params, settings)
        assert len(found) == len(links), report_id
        spans[report_id] = (len(tables), len(tables) + len(found))
        tables += found
        linkages += links
    atoms = await family.atoms(session, params)
    protected = protect(tables, atoms, linkages, settings.small_cell_threshold)
    out = {
        report_id: list(protected.tables[start:end]) for report_id, (start, end) in spans.items()
    }
    return Release(out, protected)
