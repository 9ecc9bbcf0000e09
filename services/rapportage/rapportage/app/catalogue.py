"""The report catalogue: every report a definition with its parameters and its query.

Each query reads the projections and returns tables; the API, the pages, the exports and the
partner exchange all render these same tables.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Numeric,
    Select,
    any_,
    case,
    cast,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession

from civic_common.agencies import display
from rapportage.adapters.tables import (
    batch_rows,
    components,
    import_batches,
    intakes,
    interpreter_requests,
    organisation_trajectories,
    trainings,
    trajectories,
)
from rapportage.domain.reports import (
    NIS_REGIONS,
    NOT_REGISTERED,
    OUTSIDE,
    REGIONS,
    Cell,
    Column,
    NotRegistered,
    Table,
    pivot,
    region_label,
    region_of_nis,
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


def whole_batches(import_id: ColumnElement[Any]) -> ColumnElement[bool]:
    """Live rows, and historical rows of a batch that is neither withdrawn nor replaced and
    whose rows are all in: a report never shows half a batch."""
    b, r = import_batches.c, batch_rows.c
    whole = (
        select(b.import_id)
        .join(batch_rows, r.import_id == b.import_id)
        .where(b.status == "imported", r.applied >= b.imported)
    )
    return import_id.is_(None) | import_id.in_(whole)


def held_trainings(query: Select, params: Params) -> Select:
    t = trainings.c
    query = query.where(t.status != "cancelled", whole_batches(t.import_id))
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
    return f" van {display(params.agency)}" if params.agency else " in Vlaanderen en Brussel"


def _agencies(codes: list[str], settings: RapportageSettings) -> str:
    return ", ".join(display(code, settings.agencies) for code in codes)


def _amount(value: Any) -> Decimal | NotRegistered:
    """A stored amount; NULL is a figure not registered, never 0."""
    return NOT_REGISTERED if value is None else Decimal(value)


def _unless_unknown(total: Any, unknown: int) -> Decimal | NotRegistered:
    """A summed amount, unless one of its rows is not registered."""
    return NOT_REGISTERED if unknown or total is None else Decimal(total)


def nis_region(nis: ColumnElement[Any]) -> ColumnElement[Any]:
    """The region of a municipality's NIS code, in SQL (``domain.reports.region_of_nis``)."""
    return case(
        *((nis.startswith(prefix), literal(region)) for prefix, region in NIS_REGIONS),
        else_=literal(OUTSIDE),
    )


def _newcomers(
    query: Select,
    params: Params,
    month: ColumnElement[Any],
    nis: ColumnElement[Any],
    person: ColumnElement[Any] | None,
) -> Select:
    """The newcomer filters: years, municipality, region (of the municipality) and agency
    (whose case the person is, ``intakes.agency``)."""
    query = _months(query, month, params)
    if params.municipality_nis:
        query = query.where(nis == params.municipality_nis)
    if params.region:
        query = query.where(nis_region(nis) == params.region)
    if params.agency and person is not None:
        cases = select(intakes.c.person_id).where(intakes.c.agency == params.agency)
        query = query.where(person.in_(cases))
    return query


async def trainings_per_year(
    session: AsyncSession, params: Params, _: RapportageSettings
) -> list[Table]:
    t = trainings.c
    query = held_trainings(select(t.year, func.sum(t.trainings)).group_by(t.year), params)
    counts = dict((await session.execute(query)).all())
    years = year_span(counts, params.from_year, params.to_year)
    title = f"Aantal vormingen{_agency_suffix(params)}{params.span()}"
    columns = (Column("year", "Jaar", "label"), Column("trainings", "Aantal vormingen"))
    return [Table(title, columns, tuple((str(y), int(counts.get(y, 0))) for y in years))]


async def trainings_per_region(
    session: AsyncSession, params: Params, _: RapportageSettings
) -> list[Table]:
    t = trainings.c
    query = held_trainings(
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
    """Grouped by the theme catalogue's code, shown with its label; a theme without a code
    (recorded before the catalogue, imported history) by its own text."""
    t = trainings.c
    key = func.coalesce(t.theme_code, "~" + t.theme)
    query = held_trainings(
        select(key, func.max(t.theme), t.year, func.sum(t.trainings)).group_by(key, t.year),
        params,
    )
    found = list(await session.execute(query))
    labels: dict[str, str] = {}  # one label per code, should a later catalogue relabel it
    for key_, label, _, _ in found:
        labels[key_] = max(labels.get(key_, label), label)
    rows = [(labels[key_], y, int(n)) for key_, _, y, n in found]
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
    """Three tables. (1) Per year for Flanders and Brussels (or the agency asked): every
    training once, joint ones too, with its whole cost and staff hours. (2) Per year and
    organising agency: the trainings it organised (a joint one for each of its agencies), the
    cost it bore itself (the cost lines' ``borne_by``) and its share of the staff hours (a joint
    training's hours split evenly over its agencies). (3) Who bore the cost: per year and
    bearer, agencies and others (VIVO, ...). A figure not registered is never summed as 0."""
    t = trainings.c
    hours = settings.annual_hours_per_fte
    unknown_cost = func.count().filter(t.cost_eur.is_(None))
    unknown_hours = func.count().filter(t.staff_hours.is_(None))
    totals = held_trainings(
        select(
            t.year,
            func.sum(t.trainings),
            func.sum(t.cost_eur),
            unknown_cost,
            func.sum(t.staff_hours),
            unknown_hours,
        )
        .group_by(t.year)
        .order_by(t.year),
        params,
    )
    per_year = tuple(
        (
            str(y),
            int(n),
            _unless_unknown(cost, no_cost),
            staff := _unless_unknown(staff_hours, no_hours),
            vte(staff, hours),
        )
        for y, n, cost, no_cost, staff_hours, no_hours in await session.execute(totals)
    )
    first = Table(
        f"Kostprijs en VTE van de vormingen per jaar{_agency_suffix(params)}{params.span()}",
        (
            Column("year", "Jaar", "label"),
            Column("trainings", "Aantal vormingen"),
            Column("cost_eur", "Kostprijs (EUR)", "amount"),
            Column("staff_hours", "Personeelsuren", "amount"),
            Column("vte", "VTE", "amount"),
        ),
        per_year,
        (
            f"1 VTE = {hours} uren per jaar.",
            "Een gezamenlijke vorming telt één keer mee, met haar volledige kostprijs en inzet.",
            "'niet geregistreerd': de registratie geeft dit cijfer niet; het telt niet als 0.",
        ),
    )

    agency = func.unnest(t.agencies).label("agency")
    share = (t.staff_hours / func.cardinality(t.agencies)).label("share")
    unassigned = (t.cost_eur.is_(None)) | (
        (t.cost_by == cast(literal("{}"), t.cost_by.type)) & (t.cost_eur > 0)
    )
    inner = held_trainings(
        select(
            agency,
            t.year,
            t.trainings,
            t.joint,
            t.cost_by,
            unassigned.label("unassigned"),
            share,
        ),
        params,
    ).subquery()
    borne = func.coalesce(
        func.sum(cast(inner.c.cost_by[inner.c.agency].astext, Numeric(14, 2))), Decimal(0)
    )
    query = (
        select(
            inner.c.year,
            inner.c.agency,
            func.sum(inner.c.trainings),
            func.coalesce(func.sum(inner.c.trainings).filter(inner.c.joint), 0),
            borne,
            func.count().filter(inner.c.unassigned),
            func.sum(inner.c.share),
            func.count().filter(inner.c.share.is_(None)),
        )
        .group_by(inner.c.year, inner.c.agency)
        .order_by(inner.c.year, inner.c.agency)
    )
    if params.agency:
        query = query.where(inner.c.agency == params.agency)
    per_agency = tuple(
        (
            str(y),
            display(a, settings.agencies),
            int(n),
            int(joint),
            _unless_unknown(cost, no_cost),
            staff := _unless_unknown(
                Decimal(h).quantize(Decimal("0.01")) if h is not None else None, no_hours
            ),
            vte(staff, hours),
        )
        for y, a, n, joint, cost, no_cost, h, no_hours in await session.execute(query)
    )
    second = Table(
        f"Kostprijs en VTE per jaar en agentschap{params.span()}",
        (
            Column("year", "Jaar", "label"),
            Column("agency", "Agentschap", "label"),
            Column("trainings", "Georganiseerde vormingen"),
            Column("joint", "waarvan gezamenlijk"),
            Column("cost_borne_eur", "Gedragen kostprijs (EUR)", "amount"),
            Column("staff_hours", "Personeelsuren (aandeel)", "amount"),
            Column("vte", "VTE (aandeel)", "amount"),
        ),
        per_agency,
        (
            "Een gezamenlijke vorming telt bij elk organiserend agentschap als georganiseerde "
            "vorming, maar haar kostprijs alleen bij wie hem droeg (kostenlijnen 'gedragen "
            "door') en haar personeelsuren gelijk verdeeld over de organiserende agentschappen. "
            "Tel deze rijen dus niet op tot een totaal: dat staat in de tabel hierboven.",
        ),
    )

    bearer = func.jsonb_each_text(t.cost_by).table_valued("key", "value").alias("bearer")
    bearers = held_trainings(
        select(t.year, bearer.c.key, func.sum(cast(bearer.c.value, Numeric(14, 2))))
        .select_from(trainings.join(bearer, true()))
        .group_by(t.year, bearer.c.key)
        .order_by(t.year, bearer.c.key),
        params,
    )
    gaps = held_trainings(
        select(t.year, func.sum(t.cost_eur).filter(t.cost_eur.is_not(None)), unknown_cost)
        .where(unassigned)
        .group_by(t.year)
        .order_by(t.year),
        params,
    )
    rows: list[tuple[Cell, ...]] = [
        (str(y), display(who, settings.agencies), Decimal(amount))
        for y, who, amount in await session.execute(bearers)
    ]
    for y, amount, no_cost in await session.execute(gaps):
        if amount:
            rows.append(
                (str(y), "niet toegewezen (gezamenlijk, zonder verdeling)", Decimal(amount))
            )
        if no_cost:
            rows.append((str(y), "kostprijs niet geregistreerd", NOT_REGISTERED))
    third = Table(
        f"Wie droeg de kostprijs van de vormingen{params.span()}",
        (
            Column("year", "Jaar", "label"),
            Column("borne_by", "Gedragen door", "label"),
            Column("cost_eur", "Bedrag (EUR)", "amount"),
        ),
        tuple(sorted(rows, key=lambda r: (str(r[0]), str(r[1])))),
    )
    return [first, second, third]


async def training_details(
    session: AsyncSession, params: Params, settings: RapportageSettings
) -> list[Table]:
    t = trainings.c
    # Only the columns shown: over 20 years this is every training (50,000 rows at a year's
    # volume, bench/year_of_data.py), and the rest doubled what was fetched and decoded.
    # The name lists joined in SQL: a text each, not an array whose every item the driver's
    # result processing visits in Python.
    shown = (t.year, t.agencies, t.offer, t.theme, t.title, t.description,
             func.array_to_string(t.organisers, ", "), t.trainings,
             t.local_government_participants, t.other_participants,
             func.array_to_string(t.other_organisations, ", "), t.cost_eur, t.staff_hours,
             t.source)  # fmt: skip
    query = held_trainings(select(*shown), params).order_by(t.year, t.title, t.training_id)
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
    hours = settings.annual_hours_per_fte
    rows = tuple(
        (
            str(year),
            _agencies(agencies, settings),
            offers[offer],
            theme,
            title,
            description,
            organisers,
            n,
            local_participants,
            other_participants,
            other_organisations,
            _amount(cost),
            vte(_amount(staff_hours), hours),
            "historisch" if source == "historical" else "registratie",
        )
        for (year, agencies, offer, theme, title, description, organisers, n, local_participants,
             other_participants, other_organisations, cost, staff_hours, source)
        in await session.execute(query)
    )  # fmt: skip
    return [Table(f"Overzicht per vorming{params.span()}", columns, rows)]


async def training_evaluation(
    session: AsyncSession, params: Params, _: RapportageSettings
) -> list[Table]:
    t = trainings.c

    def outcome(name: str) -> ColumnElement[Any]:
        return func.coalesce(func.sum(t.trainings).filter(t.outcome == name), 0)

    query = held_trainings(
        select(
            t.year,
            func.sum(t.invited),
            func.sum(t.responded),
            func.sum(t.satisfied),
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
        # Trainings without an evaluation count in none of these sums; a year without any
        # evaluation has figures not registered, not 0.
        share: Cell = (
            (Decimal(sat) * 100 / resp).quantize(Decimal("0.1"))
            if resp and sat is not None
            else NOT_REGISTERED
            if resp is None
            else None
        )
        figures = [NOT_REGISTERED if v is None else int(v) for v in (inv, resp, sat)]
        rows.append((str(y), *figures, share, int(cont), int(stop), int(adj)))
    decided = held_trainings(
        select(t.year, t.title, t.outcome)
        .where(t.outcome.is_not(None))
        .order_by(t.year, t.title, t.outcome, t.training_id),
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
    session: AsyncSession, params: Params, settings: RapportageSettings
) -> list[Table]:
    t = trainings.c
    query = held_trainings(
        select(t.year, t.agencies, t.theme, t.title, t.region, t.trainings)
        .where(t.joint)
        .order_by(t.year, t.title, t.theme, t.region, t.training_id),
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
        (str(y), _agencies(a, settings), theme, title, region_label(reg), n)
        for y, a, theme, title, reg, n in (await session.execute(query))
    )
    return [
        Table(f"Vormingen samen georganiseerd door agentschappen{params.span()}", columns, rows)
    ]


async def organisation_trajectory_overview(
    session: AsyncSession, params: Params, settings: RapportageSettings
) -> list[Table]:
    o = organisation_trajectories.c
    query = select(organisation_trajectories).order_by(
        o.year, o.region, o.edition, o.goal, o.organisation_trajectory_id
    )
    query = _trajectory_filters(query, params)
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
            ", ".join([*(display(a, settings.agencies) for a in r.agencies), *r.partners]),
            _amount(r.cost_eur),
            vte(_amount(r.staff_hours), settings.annual_hours_per_fte),
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
    query = _newcomers(query, params, i.month, i.municipality_nis, i.person_id)
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
    query = _newcomers(query, params, t.month, t.municipality_nis, t.person_id)
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
    query = _newcomers(query, params, t.month, t.municipality_nis, t.person_id)
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
    query = _newcomers(query, params, t.month, t.municipality_nis, t.person_id)
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
    title = f"Resultaten per trajectonderdeel{params.span()}"
    return [Table(title, columns, tuple(rows), derived=(("pass_rate", ("passed", "failed")),))]


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
    query = _newcomers(query, params, t.month, t.municipality_nis, t.person_id)
    outcomes = _newcomers(outcomes, params, t.month, t.municipality_nis, t.person_id)
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
    derived = (
        ("share_fulfilled", ("fulfilled", "unfulfilled")),
        ("lead_time_hours", ("fulfilled",)),
    )
    return [Table(title, columns, tuple(rows), derived=derived)]


async def trainings_per_offer(
    session: AsyncSession, params: Params, _: RapportageSettings
) -> list[Table]:
    """Question 321: per year, open offer against custom (op maat), and the participants
    split into local governments and other organisations."""
    t = trainings.c

    def offer(name: str | None) -> ColumnElement[Any]:
        which = t.offer.is_(None) if name is None else t.offer == name
        return func.coalesce(func.sum(t.trainings).filter(which), 0)

    query = held_trainings(
        select(
            t.year,
            offer("open"),
            offer("custom"),
            offer(None),
            func.sum(t.trainings),
            func.sum(t.local_government_participants),
            func.sum(t.other_participants),
        )
        .group_by(t.year)
        .order_by(t.year),
        params,
    )
    rows = tuple(
        (str(y), int(o), int(c), int(u), int(n), int(lg), int(other), int(lg) + int(other))
        for y, o, c, u, n, lg, other in await session.execute(query)
    )
    columns = (
        Column("year", "Jaar", "label"),
        Column("open", "Open aanbod"),
        Column("custom", "Op maat"),
        Column("offer_unknown", "Soort niet geregistreerd"),
        Column("trainings", "Totaal vormingen"),
        Column("local_government_participants", "Deelnemers lokale besturen"),
        Column("other_participants", "Deelnemers andere organisaties"),
        Column("participants", "Deelnemers totaal"),
    )
    title = f"Vormingen in open aanbod en op maat, en hun deelnemers{params.span()}"
    sums = (
        ("trainings", ("open", "custom", "offer_unknown")),
        ("participants", ("local_government_participants", "other_participants")),
    )
    return [Table(title, columns, rows, sums=sums)]


async def organisation_trajectories_per_edition(
    session: AsyncSession, params: Params, settings: RapportageSettings
) -> list[Table]:
    """Question 310: per edition its sessions and groups, organisations and participants, the
    cost and the share the agency (AgII unless one is asked) bore, and the evaluation; then the
    number of trajectories per province and year."""
    o = organisation_trajectories.c
    agency = params.agency or "agii"
    query = select(organisation_trajectories).order_by(
        o.year, o.edition, o.region, o.goal, o.organisation_trajectory_id
    )
    query = _trajectory_filters(query, params)

    def known(value: int | None) -> Cell:
        return NOT_REGISTERED if value is None else value

    rows = []
    for r in (await session.execute(query)).all():
        cost = _amount(r.cost_eur)
        if isinstance(cost, NotRegistered):
            borne: Cell = NOT_REGISTERED
            part: Cell = NOT_REGISTERED
        elif r.cost_by or not cost:
            borne = Decimal(r.cost_by.get(agency, "0"))
            part = (borne * 100 / cost).quantize(Decimal("0.1")) if cost else None
        else:
            borne, part = NOT_REGISTERED, NOT_REGISTERED
        rows.append(
            (
                r.edition,
                region_label(r.region),
                known(r.sessions),
                known(r.groups),
                r.organisations,
                r.participants,
                cost,
                borne,
                part,
                known(r.invited),
                known(r.responded),
                known(r.satisfied),
            )
        )
    name = display(agency, settings.agencies)
    per_edition = Table(
        f"Leer- en coachingstrajecten per editie{params.span()}",
        (
            Column("edition", "Editie", "label"),
            Column("region", "Provincie", "label"),
            Column("sessions", "Werksessies"),
            Column("groups", "Groepen"),
            Column("organisations", "Organisaties"),
            Column("participants", "Deelnemers"),
            Column("cost_eur", "Kostprijs (EUR)", "amount"),
            Column("agency_cost_eur", f"Gedragen door {name} (EUR)", "amount"),
            Column("agency_share", f"Aandeel {name} (%)", "amount"),
            Column("invited", "Bevraagd"),
            Column("responded", "Respondenten"),
            Column("satisfied", "Tevreden"),
        ),
        tuple(rows),
        (f"Het aandeel van {name}: de kostenlijnen die {name} droeg, over de hele kostprijs.",),
    )
    counts = _trajectory_filters(
        select(o.region, o.year, func.count()).group_by(o.region, o.year), params
    )
    cells = [(region_label(reg), y, int(n)) for reg, y, n in await session.execute(counts)]
    years = year_span((y for _, y, _ in cells), params.from_year, params.to_year)
    regions = [region_label(r) for r in REGIONS if not params.region or r == params.region]
    title = f"Aantal leer- en coachingstrajecten per provincie en jaar{params.span()}"
    return [per_edition, pivot(title, "Provincie", cells, years, row_order=regions)]


def _trajectory_filters(query: Select, params: Params) -> Select:
    o = organisation_trajectories.c
    query = query.where(whole_batches(o.import_id))
    if params.from_year is not None:
        query = query.where(o.year >= params.from_year)
    if params.to_year is not None:
        query = query.where(o.year <= params.to_year)
    if params.agency:
        query = query.where(literal(params.agency) == any_(o.agencies))
    if params.region:
        query = query.where(o.region == params.region)
    return query


async def newcomers_per_region_and_agency(
    session: AsyncSession, params: Params, settings: RapportageSettings
) -> list[Table]:
    """Newcomer indicators per region (of the municipality) and agency (whose case it is):
    intakes, trajectories started, running, completed and overdue."""
    i, t = intakes.c, trajectories.c
    unknown = literal("onbekend")
    # Grouped per municipality in SQL, then per region here (``region_of_nis``, the twin of
    # ``nis_region``): the region's CASE of prefixes once per municipality, not per row
    # (1,000,000 intakes a year, bench/year_of_data.py).
    agency = func.coalesce(i.agency, unknown).label("agency")
    registered = _newcomers(
        select(i.municipality_nis, agency, func.count()).group_by(i.municipality_nis, agency),
        params,
        i.month,
        i.municipality_nis,
        i.person_id,
    )
    t_agency = func.coalesce(i.agency, unknown).label("agency")
    started = _newcomers(
        select(
            t.municipality_nis,
            t_agency,
            func.count(),
            func.count().filter(t.status == "opened"),
            func.count().filter(t.status == "completed"),
            func.count().filter(t.overdue),
        )
        .select_from(trajectories.outerjoin(intakes, i.person_id == t.person_id))
        .group_by(t.municipality_nis, t_agency),
        params,
        t.month,
        t.municipality_nis,
        t.person_id,
    )
    cells: dict[tuple[str, str], list[int]] = {}
    for nis, ag, n in await session.execute(registered):
        cells.setdefault((region_of_nis(nis), ag), [0] * 5)[0] += int(n)
    for nis, ag, *counts in await session.execute(started):
        values = cells.setdefault((region_of_nis(nis), ag), [0] * 5)
        for k, v in enumerate(counts, start=1):
            values[k] += int(v)
    order = {r: n for n, r in enumerate((*REGIONS, OUTSIDE))}
    rows = tuple(
        (region_label(reg), display(ag, settings.agencies), *values)
        for (reg, ag), values in sorted(cells.items(), key=lambda kv: (order[kv[0][0]], kv[0][1]))
    )
    columns = (
        Column("region", "Regio", "label"),
        Column("agency", "Agentschap", "label"),
        Column("intakes", "Inschrijvingen"),
        Column("started", "Trajecten gestart"),
        Column("running", "Lopend"),
        Column("completed", "Afgerond (attest)"),
        Column("overdue", "Termijn overschreden"),
    )
    title = f"Inburgering per regio en agentschap{params.span()}"
    return [Table(title, columns, rows)]


async def trajectory_status_by_origin(
    session: AsyncSession, params: Params, _: RapportageSettings
) -> list[Table]:
    """Where trajectories stand, by nationality and residence category at intake."""
    i, t = intakes.c, trajectories.c
    unknown = literal("onbekend")
    nationality = func.coalesce(i.nationality, unknown).label("nationality")
    category = func.coalesce(i.residence_category, unknown).label("category")

    def having(status: str) -> ColumnElement[Any]:
        return func.count().filter(t.status == status)

    query = _newcomers(
        select(
            nationality,
            category,
            func.count(),
            having("opened"),
            having("suspended"),
            having("stopped"),
            having("completed"),
            func.count().filter(t.overdue),
        )
        .select_from(trajectories.outerjoin(intakes, i.person_id == t.person_id))
        .group_by(nationality, category)
        .order_by(nationality, category),
        params,
        t.month,
        t.municipality_nis,
        t.person_id,
    )
    columns = (
        Column("nationality", "Nationaliteit", "label"),
        Column("residence_category", "Verblijfscategorie", "label"),
        Column("started", "Gestart"),
        Column("running", "Lopend"),
        Column("suspended", "Geschorst"),
        Column("stopped", "Stopgezet"),
        Column("completed", "Afgerond (attest)"),
        Column("overdue", "Termijn overschreden"),
    )
    rows = tuple(
        (nat, cat, *(int(v) for v in counts)) for nat, cat, *counts in await session.execute(query)
    )
    title = f"Inburgeringstrajecten naar nationaliteit en verblijfscategorie{params.span()}"
    return [Table(title, columns, rows)]


async def import_reconciliation(
    session: AsyncSession, params: Params, settings: RapportageSettings
) -> list[Table]:
    """Per historical import, agency and year: the total the file declares ("Totaal" rows)
    against the sum of its rows, and the rows that make up that sum when they differ."""
    b = import_batches.c
    query = (
        select(b.import_id, b.filename, b.imported_at, b.declared, b.rows)
        .where(b.status == "imported", b.kind == "trainings")
        .order_by(b.imported_at, b.import_id)
    )
    out: list[tuple[Cell, ...]] = []
    for import_id, filename, _, declared, rows in await session.execute(query):
        # The batch's rows per year and per (year, agencies) once, not scanned per total.
        per_year: dict[int, list[dict[str, Any]]] = {}
        per_agencies: dict[tuple[int, tuple[str, ...]], list[dict[str, Any]]] = {}
        for r in rows:
            per_year.setdefault(r["year"], []).append(r)
            per_agencies.setdefault((r["year"], tuple(sorted(r["agencies"]))), []).append(r)
        for total in sorted(declared, key=lambda d: (d["year"], d["agencies"], d["line"])):
            year, agencies = total["year"], total["agencies"]
            if params.from_year is not None and year < params.from_year:
                continue
            if params.to_year is not None and year > params.to_year:
                continue
            if params.agency and params.agency not in agencies:
                continue
            mine = (
                per_agencies.get((year, tuple(sorted(agencies))), [])
                if agencies
                else per_year.get(year, [])
            )
            summed = sum(int(r["trainings"]) for r in mine)
            expected = total["trainings"]
            differs = expected is not None and summed != expected
            named = (
                "; ".join(f"lijn {r['line']} {r['label']}: {r['trainings']}" for r in mine)
                if differs
                else ""
            )
            out.append(
                (
                    filename or str(import_id),
                    _agencies(agencies, settings) or "alle",
                    str(year),
                    expected,
                    summed,
                    (summed - expected) if expected is not None else None,
                    "verschil" if differs else "klopt",
                    named,
                )
            )
    columns = (
        Column("file", "Bestand", "label"),
        Column("agency", "Agentschap", "label"),
        Column("year", "Jaar", "label"),
        Column("declared", "Opgegeven totaal"),
        Column("summed", "Som van de rijen"),
        Column("difference", "Verschil"),
        Column("status", "Controle", "text"),
        Column("rows", "Rijen (lijn, thema, aantal)", "text"),
    )
    title = "Controle van de opgegeven totalen van de historische imports"
    notes = ("Een totaalrij ('Totaal') wordt nooit als registratie ingelezen.",)
    return [Table(title, columns, tuple(out), notes)]


TRAINING_PARAMS = ("from_year", "to_year", "agency", "region")
NEWCOMER_PARAMS = ("from_year", "to_year", "agency", "region", "municipality_nis")

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
        Report("trainings-per-offer", "Open aanbod en op maat, met deelnemers", "321", True,
               TRAINING_PARAMS, trainings_per_offer),
        Report("organisation-trajectories", "Leer- en coachingstrajecten", "310", False,
               TRAINING_PARAMS, organisation_trajectory_overview),
        Report("organisation-trajectories-per-edition",
               "Leer- en coachingstrajecten per editie en provincie", "310", False,
               TRAINING_PARAMS, organisation_trajectories_per_edition),
        Report("import-reconciliation", "Controle van opgegeven totalen (imports)", None, False,
               ("from_year", "to_year", "agency"), import_reconciliation),
        Report("newcomers-per-region-and-agency", "Inburgering per regio en agentschap", None,
               True, NEWCOMER_PARAMS, newcomers_per_region_and_agency),
        Report("trajectory-status-by-origin",
               "Trajecten naar nationaliteit en verblijfscategorie", None, True, NEWCOMER_PARAMS,
               trajectory_status_by_origin),
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
        "trainings-per-offer",
        "cost-and-vte-per-year",
        "training-details",
        "trainings-per-region",
        "trainings-per-theme",
        "training-evaluation",
        "joint-trainings",
    ),
    "310": ("organisation-trajectories-per-edition", "organisation-trajectories"),
}

# What each answered question is about, as its heading on the page and in the PDF.
QUESTIONS: dict[str, str] = {
    "321": "Vormingsaanbod van de agentschappen (schriftelijke vraag nr. 321)",
    "310": "Trajecten organisatiebeleid cultuursensitieve zorg (schriftelijke vraag nr. 310)",
}
