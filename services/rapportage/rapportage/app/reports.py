"""Use cases: generating a report or a whole answer, for staff or for a partner."""

from dataclasses import replace

from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from rapportage.app.catalogue import ANSWERS, CATALOGUE, Params, Report
from rapportage.domain.reports import Table, suppress
from rapportage.settings import RapportageSettings


def report_for(report_id: str, *, shared: bool = False) -> Report:
    report = CATALOGUE.get(report_id)
    if report is None or (shared and not report.shareable):
        raise Problem(404, "Onbekend rapport", f"Er is geen rapport '{report_id}'.")
    return report


def check(params: Params) -> None:
    if (
        params.from_year is not None
        and params.to_year is not None
        and params.to_year < params.from_year
    ):
        raise Problem(
            422,
            "Ongeldige invoer",
            "to_year ligt voor from_year.",
            errors=[{"field": "to_year", "message": "ligt voor from_year"}],
        )


async def generate(
    uow: UnitOfWork, report: Report, params: Params, settings: RapportageSettings
) -> list[Table]:
    check(params)
    async with uow:
        return await report.query(uow.session, params, settings)


async def answer(
    uow: UnitOfWork, question: str, params: Params, settings: RapportageSettings
) -> list[Table]:
    """Every table of the answer to a written question, in the question's order."""
    if question not in ANSWERS:
        raise Problem(404, "Onbekende vraag", f"Er is geen antwoord op vraag {question}.")
    check(params)
    tables: list[Table] = []
    async with uow:
        for report_id in ANSWERS[question]:
            tables += await CATALOGUE[report_id].query(uow.session, params, settings)
    return tables


def partner_scope(principal: Principal, params: Params, agencies: list[str]) -> Params:
    """A partner sees its own municipality only; an organisation claim naming an agency scopes
    the training reports to that agency. No claim: the Flemish administration, all of it."""
    if principal.municipality:
        params = replace(params, municipality_nis=principal.municipality)
    if principal.organisation in agencies:
        params = replace(params, agency=principal.organisation)
    return params


async def shared_report(
    uow: UnitOfWork,
    report: Report,
    principal: Principal,
    params: Params,
    settings: RapportageSettings,
) -> tuple[Params, list[Table]]:
    """A report leaving the agency: scoped to the caller, small cells suppressed, and logged
    (who received which report with which parameters)."""
    scoped = partner_scope(principal, params, settings.agencies)
    check(scoped)
    async with uow:
        tables = await report.query(uow.session, scoped, settings)
        await uow.audit(principal, "share", "report", report.id, purpose=str(scoped.as_json()))
        await uow.commit()
    return scoped, [suppress(t, settings.small_cell_threshold) for t in tables]
