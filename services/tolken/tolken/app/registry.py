"""Use cases on the interpreter registry."""

from dataclasses import replace
from uuid import UUID

from sqlalchemy.exc import IntegrityError

from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from civic_common.events.contracts.tolken import InterpreterRecorded
from tolken.adapters.registry import InterpreterRepository
from tolken.domain.interpreters import Interpreter, Tier


def invalid(field: str, message: str) -> Problem:
    return Problem(
        422,
        "Ongeldige invoer",
        f"Controleer: {field}",
        errors=[{"field": field, "message": message}],
    )


def check_interpreter(interpreter: Interpreter) -> None:
    """Rules across fields, which the API model cannot express alone."""
    if interpreter.tier is Tier.CERTIFIED and interpreter.certificate is None:
        raise invalid("certificate", "een gecertificeerde tolk heeft een certificaat nodig")
    if interpreter.tier is not Tier.CERTIFIED and interpreter.certificate is not None:
        raise invalid("certificate", "alleen gecertificeerde tolken staan in het Vlaams Register")
    cert = interpreter.certificate
    if cert is not None and cert.valid_until < cert.valid_from:
        raise invalid("certificate.valid_until", "ligt voor het begin van de geldigheid")
    for n, window in enumerate(interpreter.weekly):
        if window.end <= window.start:
            raise invalid(f"weekly.{n}.end", "het einde ligt niet na het begin")
    for n, exception in enumerate(interpreter.exceptions):
        if exception.ends_at <= exception.starts_at:
            raise invalid(f"exceptions.{n}.ends_at", "het einde ligt niet na het begin")
    for n, leave in enumerate(interpreter.leave):
        if leave.last_day < leave.first_day:
            raise invalid(f"leave.{n}.last_day", "ligt voor de eerste dag")


def _recorded(i: Interpreter) -> InterpreterRecorded:
    return InterpreterRecorded(
        interpreter_id=i.id,
        tier=i.tier.value,
        languages=sorted(i.languages),
        modalities=sorted(m.value for m in i.modalities),
        regions=sorted(i.regions),
        certificate_valid_until=i.certificate.valid_until if i.certificate else None,
        active=i.active,
    )


async def register_interpreter(uow: UnitOfWork, interpreter: Interpreter, by: Principal) -> None:
    check_interpreter(interpreter)
    async with uow:
        try:
            await InterpreterRepository(uow.session).add(interpreter)
        except IntegrityError as exc:
            raise invalid("account", "dit account hoort al bij een andere tolk") from exc
        await uow.publish(_recorded(interpreter), key=interpreter.id, sequence=interpreter.version)
        await uow.audit(by, "create", "interpreter", interpreter.id)
        await uow.commit()


async def change_interpreter(
    uow: UnitOfWork, interpreter: Interpreter, expected_version: int, by: Principal
) -> Interpreter:
    """Replace the interpreter's record; 412 when someone changed it in the meantime."""
    check_interpreter(interpreter)
    async with uow:
        repository = InterpreterRepository(uow.session)
        if await repository.get(interpreter.id) is None:
            raise Problem(404, "Niet gevonden", f"Geen tolk met id {interpreter.id}.")
        changed = replace(interpreter, version=expected_version + 1)
        try:
            if not await repository.replace(changed, expected_version):
                raise Problem(
                    412, "Gewijzigd door iemand anders", "Laad de tolk opnieuw en probeer opnieuw."
                )
        except IntegrityError as exc:
            raise invalid("account", "dit account hoort al bij een andere tolk") from exc
        await uow.publish(_recorded(changed), key=changed.id, sequence=changed.version)
        await uow.audit(by, "update", "interpreter", changed.id)
        await uow.commit()
    return changed


async def read_interpreter(uow: UnitOfWork, interpreter_id: UUID, by: Principal) -> Interpreter:
    async with uow:
        interpreter = await InterpreterRepository(uow.session).get(interpreter_id)
        if interpreter is None:
            raise Problem(404, "Niet gevonden", f"Geen tolk met id {interpreter_id}.")
        await uow.audit(by, "read", "interpreter", interpreter_id)
        await uow.commit()
    return interpreter


async def list_interpreters(
    uow: UnitOfWork, after: UUID | None, limit: int, language: str | None, by: Principal
) -> list[Interpreter]:
    async with uow:
        found = await InterpreterRepository(uow.session).page(after, limit, language)
        for interpreter in found:
            await uow.audit(by, "read", "interpreter", interpreter.id, "lijst")
        await uow.commit()
    return found
