"""The report catalogue: every report a definition with its parameters and its query.

Each query reads the projections and returns tables; the API, the pages, the exports and the
partner exchange all render these same tables.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, any_, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from rapportage.adapters.tables import (
    components,
    intakes,
    interpreter_requests,
    organisation_trajectories,
    trainings,
    trajectories,
)
from rapportage.domain.reports import (
    REGIONS,
    Column,
    Table,
    pivot,
    region_label,
    vte,
    year_span,
)
from rapportage.settings import RapportageSettings


@dataclass(frozen=True)
class Params:
    from_year: int | None = None
    to_year: int | None = None
    agency: str | None = None
    region: str | None = None
    municipality_nis: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None}

    def span(self) -> str:
        if self.from_year and self.to_year:
            return f" {self.from_year}-{self.to_year}"
        return ""


Query = Callable[[AsyncSession, Params, RapportageSettings], Awaitable[list[Table]]]


@dataclass(frozen=True)
class Report:
    id: str
    title: str
    question: str | None  # the written question it answers, if any
    shareable: bool  # aggregates only: may leave the agency, with small cells suppressed
    parameters: tuple[str, ...]
    query: Query


def _held(query: Select, params: Params) -> Select:
    t = trainings.c
    query = query.where(t.status != "cancelled")
    if params.from_year is not None:
        query = query.where(t.year >= params.from_year)
    if params.to_year is not None:
        query = query.where(t.year <= params.to_year)
    if params.agency:
        query = query.where(literal(params.agency) == any_(t.agencies))
    if params.region:
        query = query.where(t.region == params.region)
    return query


def _agency_suffix(params: Params) -> str:
    return f" van {params.agency}" if params.agency else " in Vlaanderen en Brussel"


async def trainings_per_year(
    session: AsyncSession, params: Params, _: RapportageSettings
) -> list[Table]:
    t = trainings.c
    query = _held(select(t.year, func.sum(t.trainings)).group_by(t.year), params)
    counts = dict((await session.execute(query)).all())
    years = year_span(counts, params.from_year, params.to_year)
    title = f"Aantal vormingen{_agency_suffix(params)}{params.span()}"
    columns = (Column("year", "Jaar", "label"), Column("trainings", "Aantal vormingen"))
    return [Table(title, columns, tuple((str(y), int(counts.get(y, 0))) for y in years))]


async def trainings_per_region(
    session: AsyncSession, params: Params, _: RapportageSettings
) -> list[Table]:
    t = trainings.c
    query = _held(
        select(t.region, t.year, func.sum(t.trainings)).group_by(t.region, t.year), params
    )
    rows = [(region_label(r), y, int(n)) for r, y, n in (await session.execute(query))]
    years = year_span((y for _, y, _ in rows), params.from_year, params.to_year)
    regions = [region_label(r) for r in REGIONS if not params.region or r == params.region]
    title = f"Aantal vormingen{_agency_suffix(params)} naar regio{params.span()}"
    return [pivot(title, "Regio", rows, years, row_order=regions)]


async def trainings_per_theme(
    session: AsyncSession, params: Params, _: RapportageSettings
) -> list[Table]:
    t = trainings.c
    query = _held(select(t.theme, t.year, func.sum(t.trainings)).group_by(t.theme, t.year), params)
    rows = [(theme, y, int(n)) for theme, y, n in (await session.execute(query))]
    years = year_span((y for _, y, _ in rows), params.from_year, params.to_year)
    title = f"Vormingen{_agency_suffix(params)} per thema{params.span()}"
    return [
        pivot(
            title, "Thema", rows, years, total_row="Totaal aantal vormingen", total_column="TOTAAL"
        )
    ]


async def cost_and_vte_per_year(
    session: AsyncSession, params: Params, settings: RapportageSettings
) -> list[Table]:
    """Per agency and year; a joint training counts for each organising agency."""
    t = trainings.c
    agency = func.unnest(t.agencies).label("agency")
    inner = _held(select(agency, t.year, t.trainings, t.cost_eur, t.staff_hours), params).subquery()
    query = (
        select(
            inner.c.year,
            inner.c.agency,
            func.sum(inner.c.trainings),
            func.sum(inner.c.cost_eur),
            func.sum(inner.c.staff_hours),
        )
        .group_by(inner.c.year, inner.c.agency)
        .order_by(inner.c.year, inner.c.agency)
    )
    if params.agency:
        query = query.where(inner.c.agency == params.agency)
    columns = (
        Column("year", "Jaar", "label"),
        Column("agency", "Agentschap", "label"),
        Column("trainings", "Aantal vormingen"),
        Column("cost_eur", "Kostprijs (EUR)", "amount"),
        Column("staff_hours", "Personeelsuren", "amount"),
        Column("vte", "VTE", "amount"),
    )
    rows = tuple(
        (str(y), a, int(n), Decimal(c), Decimal(h), vte(Decimal(h), settings.annual_hours_per_fte))
        for y, a, n, c, h in (await session.execute(query))
    )
    title = f"Kostprijs en VTE van de vormingen per jaar en agentschap{params.span()}"
    notes = (
        f"1 VTE = {settings.annual_hours_per_fte} uren per jaar.",
        "Een gezamenlijke vorming telt met haar volledige kostprijs en inzet mee bij elk "
        "organiserend agentschap.",
    )
    return [Table(title, columns, rows, notes)]


async def training_details(
    session: AsyncSession, params: Params, settings: RapportageSettings
) -> list[Table]:
    t = trainings.c
    query = _held(select(trainings), params).order_by(t.year, t.title, t.training_id)
    columns = (
        Column("year", "Jaar", "label"),
        Column("agencies", "Organiserende agentschappen", "text"),
        Column("offer", "Soort", "text"),
        Column("theme", "Thema", "text"),
        Column("title", "Vorming", "text"),
        Column("description", "Toelichting", "text"),
        Column("organisers", "Organisator(en)", "text"),
        Column("trainings", "Aantal"),
        Column("local_government_participants", "Deelnemers lokale besturen"),
        Column("other_participants", "Deelnemers andere organisaties"),
        Column("other_organisations", "Andere organisaties", "text"),
        Column("cost_eur", "Kostprijs (EUR)", "amount"),
        Column("vte", "VTE", "amount"),
        Column("source", "Bron", "text"),
    )
    offers = {"open": "open aanbod", "custom": "op maat", None: ""}
    rows = tuple(
        (
            str(r.year),
            ", ".join(r.agencies),
            offers[r.offer],
            r.theme,
            r.title,
            r.description,
            ", ".join(r.organisers),
            r.trainings,
            r.local_government_participants,
            r.other_participants,
            ", ".join(r.other_organisations),
            Decimal(r.cost_eur),
            vte(Decimal(r.staff_hours), settings.annual_hours_per_fte),
            "historisch" if r.source == "historical" else "registratie",
        )
        for r in (await session.execute(query)).all()
    )
    return [Table(f"Overzicht per vorming{params.span()}", columns, rows)]


async def training_evaluation(
    session: AsyncSession, params: Params, _: RapportageSettings
) -> list[Table]:
    t = trainings.c

    def outcome(name: str) -> ColumnElement[Any]:
        return func.coalesce(func.sum(t.trainings).filter(t.outcome == name), 0)

    query = _held(
        select(
            t.year,
            func.coalesce(func.sum(t.invited), 0),
            func.coalesce(func.sum(t.responded), 0),
            func.coalesce(func.sum(t.satisfied), 0),
            outcome("continued"),
            outcome("stopped"),
            outcome("adjusted"),
        )
        .group_by(t.year)
        .order_by(t.year),
        params,
    )
    columns = (
        Column("year", "Jaar", "label"),
        Column("invited", "Bevraagd"),
        Column("responded", "Respondenten"),
        Column("satisfied", "Tevreden tot zeer tevreden"),
        Column("satisfied_share", "Aandeel tevreden (%)", "amount"),
        Column("continued", "Voortgezet"),
        Column("stopped", "Beëindigd"),
        Column("adjusted", "Aangepast"),
    )
    rows = []
    for y, inv, resp, sat, cont, stop, adj in await session.execute(query):
        share = (Decimal(sat) * 100 / resp).quantize(Decimal("0.1")) if resp else None
        rows.append((str(y), int(inv), int(resp), int(sat), share, int(cont), int(stop), int(adj)))
    decided = _held(
        select(t.year, t.title, t.outcome).where(t.outcome.is_not(None)).order_by(t.year, t.title),
        params,
    )
    names = {"continued": "voortgezet", "stopped": "beëindigd", "adjusted": "aangepast"}
    which = Table(
        "Welke vormingen werden voortgezet, beëindigd of aangepast",
        (
            Column("year", "Jaar", "label"),
            Column("title", "Vorming", "text"),
            Column("outcome", "Beslissing", "text"),
        ),
        tuple((str(y), title, names[o]) for y, title, o in (await session.execute(decided))),
    )
    return [Table(f"Evaluatie van het vormingsaanbod{params.span()}", columns, tuple(rows)), which]


async def joint_trainings(
    session: AsyncSession, params: Params, _: RapportageSettings
) -> list[Table]:
    t = trainings.c
    query = _held(
        select(t.year, t.agencies, t.theme, t.title, t.region, t.trainings)
        .where(t.joint)
        .order_by(t.year, t.title),
        params,
    )
    columns = (
        Column("year", "Jaar", "label"),
        Column("agencies", "Agentschappen", "text"),
        Column("theme", "Thema", "text"),
        Column("title", "Vorming", "text"),
        Column("region", "Regio", "text"),
        Column("trainings", "Aantal"),
    )
    rows = tuple(
        (str(y), ", ".join(a), theme, title, region_label(reg), n)
        for y, a, theme, title, reg, n in (await session.execute(query))
    )
    return [
        Table(f"Vormingen samen georganiseerd door agentschappen{params.span()}", columns, rows)
    ]


async def organisation_trajectory_overview(
    session: AsyncSession, params: Params, settings: RapportageSettings
) -> list[Table]:
    o = organisation_trajectories.c
    query = select(organisation_trajectories).order_by(o.year, o.region, o.edition)
    if params.from_year is not None:
        query = query.where(o.year >= params.from_year)
    if params.to_year is not None:
        query = query.where(o.year <= params.to_year)
    if params.agency:
        query = query.where(literal(params.agency) == any_(o.agencies))
    if params.region:
        query = query.where(o.region == params.region)
    columns = (
        Column("edition", "Editie", "label"),
        Column("region", "Provincie", "text"),
        Column("goal", "Doel", "text"),
        Column("content", "Inhoud", "text"),
        Column("organisers", "Organisator(en)", "text"),
        Column("cost_eur", "Kostprijs (EUR)", "amount"),
        Column("vte", "VTE", "amount"),
        Column("organisations", "Organisaties"),
        Column("participants", "Deelnemers"),
        Column("organisation_names", "Deelnemende organisaties", "text"),
        Column("results", "Resultaten", "text"),
        Column("evaluation_criteria", "Evaluatiecriteria", "text"),
    )
    rows = tuple(
        (
            r.edition,
            region_label(r.region),
            r.goal,
            r.content,
            ", ".join([*r.agencies, *r.partners]),
            Decimal(r.cost_eur),
            vte(Decimal(r.staff_hours), settings.annual_hours_per_fte),
            r.organisations,
            r.participants,
            ", ".join(r.organisation_names),
            r.results or "",
            "; ".join(r.evaluation_criteria),
        )
        for r in (await session.execute(query)).all()
    )
    title = f"Leer- en coachingstrajecten per jaar en provincie{params.span()}"
    return [Table(title, columns, rows)]


def _months(query: Select, month_column: ColumnElement[Any], params: Params) -> Select:
    if params.from_year is not None:
        query = query.where(func.extract("year", month_column) >= params.from_year)
    if params.to_year is not None:
        query = query.where(func.extract("year", month_column) <= params.to_year)
    return query


async def intakes_per_month(
    session: AsyncSession, params: Params, _: RapportageSettings
) -> list[Table]:
    i = intakes.c
    unknown = literal("onbekend")
    query = (
        select(
            i.month,
            i.municipality_nis,
            func.coalesce(i.nationality, unknown),
            func.coalesce(i.residence_category, unknown),
            func.count(),
        )
        .group_by(i.month, i.municipality_nis, i.nationality, i.residence_category)
        .order_by(i.month, i.municipality_nis, i.nationality, i.residence_category)
    )
    query = _months(query, i.month, params)
    if params.municipality_nis:
        query = query.where(i.municipality_nis == params.municipality_nis)
    columns = (
        Column("month", "Maand", "label"),
        Column("municipality_nis", "Gemeente (NIS)", "label"),
        Column("nationality", "Nationaliteit", "label"),
        Column("residence_category", "Verblijfscategorie", "label"),
        Column("intakes", "Onthaalgesprekken"),
    )
    rows = tuple(
        (m.strftime("%Y-%m"), nis, nat, cat, int(n))
        for m, nis, nat, cat, n in (await session.execute(query))
    )
    return [Table(f"Onthaal: aantal inschrijvingen per maand{params.span()}", columns, rows)]


async def trajectories_per_month(
    session: AsyncSession, params: Params, _: RapportageSettings
) -> list[Table]:
    t = trajectories.c
    query = (
        select(t.month, t.municipality_nis, t.kind, t.status, func.count())
        .group_by(t.month, t.municipality_nis, t.kind, t.status)
        .order_by(t.month, t.municipality_nis, t.kind, t.status)
    )
    query = _months(query, t.month, params)
    if params.municipality_nis:
        query = query.where(t.municipality_nis == params.municipality_nis)
    statuses = STATUSES
    columns = (
        Column("month", "Maand", "label"),
        Column("municipality_nis", "Gemeente (NIS)", "label"),
        Column("kind", "Soort traject", "label"),
        Column("status", "Stand", "label"),
        Column("trajectories", "Trajecten"),
    )
    rows = tuple(
        (m.strftime("%Y-%m"), nis, kind, statuses.get(status, status), int(n))
        for m, nis, kind, status, n in (await session.execute(query))
    )
    return [Table(f"Inburgeringstrajecten per maand{params.span()}", columns, rows)]


STATUSES = {
    "opened": "lopend",
    "suspended": "geschorst",
    "stopped": "stopgezet",
    "completed": "afgerond (attest)",
}


async def trajectory_status(
    session: AsyncSession, params: Params, _: RapportageSettings
) -> list[Table]:
    """Per municipality: started, and where they stand now; overdue = a deadline was missed."""
    t = trajectories.c

    def having(status: str) -> ColumnElement[Any]:
        return func.count().filter(t.status == status)

    query = (
        select(
            t.municipality_nis,
            func.count(),
            having("opened"),
            having("suspended"),
            having("stopped"),
            having("completed"),
            func.count().filter(t.overdue),
        )
        .group_by(t.municipality_nis)
        .order_by(t.municipality_nis)
    )
    query = _months(query, t.month, params)
    if params.municipality_nis:
        query = query.where(t.municipality_nis == params.municipality_nis)
    columns = (
        Column("municipality_nis", "Gemeente (NIS)", "label"),
        Column("started", "Gestart"),
        Column("running", "Lopend"),
        Column("suspended", "Geschorst"),
        Column("stopped", "Stopgezet"),
        Column("completed", "Afgerond (attest)"),
        Column("overdue", "Termijn overschreden"),
    )
    rows = tuple(
        tuple(int(v) if i else v for i, v in enumerate(r)) for r in await session.execute(query)
    )
    return [Table(f"Inburgeringstrajecten naar stand{params.span()}", columns, rows)]


async def component_results(
    session: AsyncSession, params: Params, _: RapportageSettings
) -> list[Table]:
    """Per component: how many started, passed, failed or were exempted, and the pass rate
    (passed over passed and failed)."""
    c, t = components.c, trajectories.c

    def having(status: str) -> ColumnElement[Any]:
        return func.count().filter(c.status == status)

    query = (
        select(c.component, func.count(), having("completed"), having("failed"), having("exempted"))
        .select_from(components.join(trajectories, c.trajectory_id == t.trajectory_id))
        .group_by(c.component)
        .order_by(c.component)
    )
    query = _months(query, t.month, params)
    if params.municipality_nis:
        query = query.where(t.municipality_nis == params.municipality_nis)
    columns = (
        Column("component", "Onderdeel", "label"),
        Column("started", "Gestart"),
        Column("passed", "Geslaagd"),
        Column("failed", "Niet geslaagd"),
        Column("exempted", "Vrijgesteld"),
        Column("pass_rate", "Slaagpercentage (%)", "amount"),
    )
    rows = []
    for component, started, passed, failed, exempted in await session.execute(query):
        decided = passed + failed
        rate = (Decimal(passed) * 100 / decided).quantize(Decimal("0.1")) if decided else None
        rows.append((component, int(started), int(passed), int(failed), int(exempted), rate))
    return [Table(f"Resultaten per trajectonderdeel{params.span()}", columns, tuple(rows))]


VDAB_REFERRAL = "vdab_referral"  # the template component of a job seeker's referral to VDAB


async def vdab_referrals(
    session: AsyncSession, params: Params, _: RapportageSettings
) -> list[Table]:
    """Referrals to VDAB and their outcome (door- en uitstroom), by nationality and Dutch level
    at intake; then the outcomes of the completed ones by result (e.g. employed)."""
    c, t, i = components.c, trajectories.c, intakes.c
    unknown = literal("onbekend")
    nationality = func.coalesce(i.nationality, unknown).label("nationality")
    dutch_level = func.coalesce(i.dutch_level, unknown).label("dutch_level")

    def having(status: str) -> ColumnElement[Any]:
        return func.count().filter(c.status == status)

    referrals = components.join(trajectories, c.trajectory_id == t.trajectory_id).outerjoin(
        intakes, i.person_id == t.person_id
    )
    query = (
        select(nationality, dutch_level, func.count(), having("started"), having("completed"),
               having("failed"))
        .select_from(referrals)
        .where(c.component == VDAB_REFERRAL)
        .group_by(nationality, dutch_level)
        .order_by(nationality, dutch_level)
    )  # fmt: skip
    outcomes = (
        select(func.coalesce(c.result, unknown).label("result"), func.count())
        .select_from(referrals)
        .where(c.component == VDAB_REFERRAL, c.status == "completed")
        .group_by("result")
        .order_by("result")
    )
    query, outcomes = _months(query, t.month, params), _months(outcomes, t.month, params)
    if params.municipality_nis:
        query = query.where(t.municipality_nis == params.municipality_nis)
        outcomes = outcomes.where(t.municipality_nis == params.municipality_nis)
    flow = Table(
        f"Doorverwijzingen naar VDAB: door- en uitstroom{params.span()}",
        (
            Column("nationality", "Nationaliteit", "label"),
            Column("dutch_level", "Niveau Nederlands bij onthaal", "label"),
            Column("referred", "Doorverwezen"),
            Column("under_way", "Lopend"),
            Column("completed", "Uitgestroomd"),
            Column("failed", "Niet afgerond"),
        ),
        tuple(
            (nat, level, int(n), int(started), int(done), int(failed))
            for nat, level, n, started, done, failed in await session.execute(query)
        ),
    )
    by_result = Table(
        f"Uitstroom na doorverwijzing naar VDAB, naar resultaat{params.span()}",
        (Column("result", "Resultaat", "label"), Column("completed", "Uitgestroomd")),
        tuple((result, int(n)) for result, n in await session.execute(outcomes)),
    )
    return [flow, by_result]


async def interpreter_requests_report(
    session: AsyncSession, params: Params, _: RapportageSettings
) -> list[Table]:
    """Per language and modality: requests, how many got an interpreter, the share fulfilled
    (of those decided: assigned or unfulfilled) and the median lead time to assignment."""
    r = interpreter_requests.c
    fulfilled = func.count().filter(r.assigned_at.is_not(None))
    unfulfilled = func.count().filter(r.status == "unfulfilled")
    lead_hours = func.percentile_cont(0.5).within_group(
        func.extract("epoch", r.assigned_at - r.received_at) / 3600
    )
    modality = func.coalesce(r.modality, literal("vertaling"))
    query = (
        select(
            r.language,
            modality,
            func.count(),
            fulfilled,
            unfulfilled,
            func.count().filter(r.status == "cancelled"),
            lead_hours,
        )
        .group_by(r.language, modality)
        .order_by(r.language, modality)
    )
    query = _months(query, r.month, params)
    columns = (
        Column("language", "Taal", "label"),
        Column("modality", "Modaliteit", "label"),
        Column("requests", "Aanvragen"),
        Column("fulfilled", "Ingevuld"),
        Column("unfulfilled", "Niet ingevuld"),
        Column("cancelled", "Geannuleerd"),
        Column("share_fulfilled", "Aandeel ingevuld (%)", "amount"),
        Column("lead_time_hours", "Doorlooptijd tot toewijzing (mediaan, uren)", "amount"),
    )
    modalities = {"on_site": "ter plaatse", "phone": "telefonisch", "video": "video"}
    rows = []
    for language, mode, requests, done, missed, cancelled, lead in await session.execute(query):
        decided = done + missed
        share = (Decimal(done) * 100 / decided).quantize(Decimal("0.1")) if decided else None
        hours = Decimal(str(lead)).quantize(Decimal("0.1")) if lead is not None else None
        rows.append(
            (language, modalities.get(mode, mode), int(requests), int(done), int(missed),
             int(cancelled), share, hours)
        )  # fmt: skip
    title = f"Tolkaanvragen per taal en modaliteit{params.span()}"
    return [Table(title, columns, tuple(rows))]


TRAINING_PARAMS = ("from_year", "to_year", "agency", "region")
NEWCOMER_PARAMS = ("from_year", "to_year", "municipality_nis")

CATALOGUE: dict[str, Report] = {
    r.id: r
    for r in (
        Report("trainings-per-year", "Aantal vormingen per jaar", "321", True, TRAINING_PARAMS,
               trainings_per_year),
        Report("trainings-per-region", "Aantal vormingen per regio en jaar", "321", True,
               TRAINING_PARAMS, trainings_per_region),
        Report("trainings-per-theme", "Vormingen per thema en jaar", "321", True, TRAINING_PARAMS,
               trainings_per_theme),
        Report("cost-and-vte-per-year", "Kostprijs en VTE per jaar en agentschap", "321", True,
               TRAINING_PARAMS, cost_and_vte_per_year),
        Report("training-details", "Overzicht per vorming", "321", False, TRAINING_PARAMS,
               training_details),
        Report("training-evaluation", "Evaluatie van het vormingsaanbod", "321", False,
               TRAINING_PARAMS, training_evaluation),
        Report("joint-trainings", "Gezamenlijk georganiseerde vormingen", "321", False,
               TRAINING_PARAMS, joint_trainings),
        Report("organisation-trajectories", "Leer- en coachingstrajecten", "310", False,
               TRAINING_PARAMS, organisation_trajectory_overview),
        Report("intakes-per-month", "Inschrijvingen per maand", None, True, NEWCOMER_PARAMS,
               intakes_per_month),
        Report("trajectories-per-month", "Inburgeringstrajecten per maand", None, True,
               NEWCOMER_PARAMS, trajectories_per_month),
        Report("trajectory-status", "Inburgeringstrajecten naar stand", None, True,
               NEWCOMER_PARAMS, trajectory_status),
        Report("interpreter-requests", "Tolkaanvragen per taal en modaliteit", None, True,
               ("from_year", "to_year"), interpreter_requests_report),
        Report("component-results", "Resultaten per trajectonderdeel", None, True,
               NEWCOMER_PARAMS, component_results),
        Report("vdab-referrals", "Doorverwijzingen naar VDAB en uitstroom", None, True,
               NEWCOMER_PARAMS, vdab_referrals),
    )
}  # fmt: skip

# The answer to a written question: its reports in the order of the question.
ANSWERS: dict[str, tuple[str, ...]] = {
    "321": (
        "trainings-per-year",
        "cost-and-vte-per-year",
        "training-details",
        "trainings-per-region",
        "trainings-per-theme",
        "training-evaluation",
        "joint-trainings",
    ),
    "310": ("organisation-trajectories",),
}

# What each answered question is about, as its heading on the page and in the PDF.
QUESTIONS: dict[str, str] = {
    "321": "Vormingsaanbod van de agentschappen (schriftelijke vraag nr. 321)",
    "310": "Trajecten organisatiebeleid cultuursensitieve zorg (schriftelijke vraag nr. 310)",
}
