"""Staff API for counter staff: /api/v1/persons."""

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from civic_common.api.app import uow
from civic_common.api.idempotency import idempotent
from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.auth.tokens import require_roles
from civic_common.db.uow import UnitOfWork
from intake.app.persons import RegisterPerson, read_person, register_person
from intake.domain.person import Person

router = APIRouter(prefix="/api/v1", tags=["persons"])

Name = Annotated[str, Field(min_length=1, max_length=200)]
Language = Annotated[str, Field(pattern=r"^[a-z]{2,3}$", description="ISO 639 code")]


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    given_name: Name
    family_name: Name
    birth_date: date
    municipality_nis: str = Field(pattern=r"^\d{5}$", description="NIS code of the municipality")
    languages: list[Language] = Field(default_factory=list, max_length=20)
    contact_language: Language | None = None
    interpreter_language: Language | None = None

    @field_validator("birth_date")
    @classmethod
    def _not_in_future(cls, value: date) -> date:
        if value > date.today():
            raise ValueError("de geboortedatum ligt in de toekomst")
        return value


class PersonOut(BaseModel):
    id: UUID
    version: int
    given_name: str
    family_name: str
    birth_date: date
    municipality_nis: str
    languages: list[str]
    contact_language: str | None
    interpreter_language: str | None
    registered_at: datetime

    @classmethod
    def of(cls, person: Person) -> "PersonOut":
        return cls.model_validate(person, from_attributes=True)


@router.post("/persons", status_code=201, response_model=PersonOut)
async def post_person(
    body: PersonIn,
    request: Request,
    principal: Annotated[Principal, Depends(require_roles("counter"))],
    work: Annotated[UnitOfWork, Depends(uow)],
) -> Response:
    async def register() -> JSONResponse:
        person = await register_person(work, RegisterPerson(**body.model_dump()), principal)
        return JSONResponse(
            PersonOut.of(person).model_dump(mode="json"),
            status_code=201,
            headers={
                "Location": f"/api/v1/persons/{person.id}",
                "ETag": f'"{person.version}"',
            },
        )

    return await idempotent(request, principal, work, register)


@router.get("/persons/{person_id}")
async def get_person(
    person_id: UUID,
    response: Response,
    principal: Annotated[Principal, Depends(require_roles("counter", "counsellor"))],
    work: Annotated[UnitOfWork, Depends(uow)],
) -> PersonOut:
    person = await read_person(work, person_id, principal)
    if person is None:
        raise Problem(404, "Niet gevonden", f"Geen persoon met id {person_id}.")
    response.headers["ETag"] = f'"{person.version}"'
    return PersonOut.of(person)
