"""Use cases: generating a report or a whole answer, for staff or for a partner."""

from dataclasses import replace

from civic_common.agencies import canonical
from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from rapportage.app.catalogue import ANSWERS, CATALOGUE, Params, Report
from rapportage.app.releases import FAMILIES, release
from rapportage.domain.reports import Table, suppress
from rapportage.settings import RapportageSettings


def report_for(report_id: str, *, shared: bool = False) -> Report:
    report = CATALOGUE.get(report_id)
    if report is None or (shared and not report.shareable):
        raise Problem(404, "Onbekend rapport", f"Er is geen rapport '{report_id}'.")
    return report


LABELS = {
    "from_year": "van jaar",
    "to_year": "tot en met jaar",
    "agency": "agentschap",
    "region": "regio",
    "municipality_nis": "gemeente",
}


def check(params: Params, accepted: tuple[str, ...] | None = None) -> None:
    """A filter the report cannot apply is refused (422), never silently ignored."""
    if accepted is not None:
        refused = [k for k in params.as_json() if k not in accepted]
        if refused:
            raise Problem(
                422,
                "Filter niet van toepassing",
                "Dit rapport kan niet filteren op: "
                + ", ".join(LABELS.get(k, k) for k in refused)
                + ".",
                errors=[
                    {"field": k, "message": "dit rapport kan hierop niet filteren"} for k in refused
                ],
            )
    if (
        params.from_year is not None
        and params.to_year is not None
        and params.to_year < params.from_year
    ):
        raise Problem(
            422,
            "Ongeldige invoer",
            "Het jaar 'tot en met' (to_year) ligt voor het jaar 'van' (from_year).",
            errors=[{"field": "to_year", "message": "Tot en met jaar ligt voor van jaar."}],
        )


async def generate(
    uow: UnitOfWork, report: Report, params: Params, settings: RapportageSettings
) -> list[Table]:
    check(params, report.parameters)
    async with uow:
        return await report.query(uow.session, params, settings)


async def answer(
    uow: UnitOfWork, question: str, params: Params, settings: RapportageSettings
) -> list[Table]:
    """Every table of the answer to a written question, in the question's order."""
    if question not in ANSWERS:
        raise Problem(404, "Onbekende vraag", f"Er is geen antwoord op vraag {question}.")
    check(params, answer_parameters(question))
    tables: list[Table] = []
    async with uow:
        for report_id in ANSWERS[question]:
            tables += await CATALOGUE[report_id].query(uow.session, params, settings)
    return tables


def answer_parameters(question: str) -> tuple[str, ...]:
    """The filters every report of an answer applies (an answer takes only these)."""
    reports = [CATALOGUE[r] for r in ANSWERS[question]]
    return tuple(p for p in reports[0].parameters if all(p in r.parameters for r in reports))


def partner_scope(
    principal: Principal,
    params: Params,
    agencies: dict[str, str],
    accepted: tuple[str, ...] = ("agency", "municipality_nis"),
) -> Params:
    """A partner sees its own municipality only; an organisation claim naming an agency scopes
    the training reports to that agency. No claim: the Flemish administration, all of it."""
    if principal.municipality and "municipality_nis" in accepted:
        params = replace(params, municipality_nis=principal.municipality)
    agency = canonical(principal.organisation, agencies) if principal.organisation else None
    if agency and "agency" in accepted:
        params = replace(params, agency=agency)
    return params


async def shared_report(
    uow: UnitOfWork,
    report: Report,
    principal: Principal,
    params: Params,
    settings: RapportageSettings,
) -> tuple[Params, list[Table]]:
    """A report leaving the agency: scoped to the caller, small cells suppressed, and logged
    (who received which report with which parameters). A report of a family is protected with
    every other report of its family for the same scope (``releases``), so no table of it gives
    back what another hides."""
    check(params, report.parameters)
    scoped = partner_scope(principal, params, settings.agencies, report.parameters)
    check(scoped)
    async with uow:
        tables = await protected_tables(uow, report, scoped, settings)
        await uow.audit(principal, "share", "report", report.id, purpose=str(scoped.as_json()))
        await uow.commit()
    return scoped, tables


async def protected_tables(
    uow: UnitOfWork, report: Report, params: Params, settings: RapportageSettings
) -> list[Table]:
    """A shareable report's tables as they may leave the agency (inside ``uow``)."""
    family = FAMILIES.get(report.id)
    if family is not None:
        found = await release(uow.session, family, params, settings)
        return found.reports[report.id]
    tables = await report.query(uow.session, params, settings)
    return [suppress(t, settings.small_cell_threshold) for t in tables]
