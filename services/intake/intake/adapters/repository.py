"""Persons, their history, organisations and candidacies in the intake schema."""

from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ARRAY,
    Boolean,
    ColumnElement,
    Float,
    Numeric,
    Text,
    TextClause,
    and_,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from intake.adapters.tables import (
    candidacies,
    organisations,
    person_history,
    persons,
    search_words,
)
from intake.domain.agency import Visibility
from intake.domain.person import Person
from intake.domain.search import WORD_THRESHOLD, query_words, search_key

PERSON_COLUMNS = tuple(f.name for f in fields(Person))


def _registration() -> TextClause:
    """Registration in one round trip: look up who already holds the INSZ (in any agency: an
    INSZ is unique on the platform) and the likely duplicates (unless the counter confirmed a
    new person: the registering agency's persons born the same day whose names resemble the
    typed ones as the search would find them, where one of the two has no INSZ yet), insert
    the person unless the INSZ is taken or a likely duplicate needs the counter's choice first,
    and write the first history entry. (Registrations no longer flag ``possible_duplicates``:
    the counter decides before saving; flags of earlier registrations stay until confirmed.)

    Plain SQL on purpose: it is the counter's hot path, and every round trip and every
    statement SQLAlchemy must rebuild costs more than the work itself (bench/intake_register.py).
    The likely duplicates are looked up through the persons_agency_birth index.
    """
    dialect = postgresql.dialect()
    columns = [c for c in persons.columns if c.name not in ("possible_duplicates", "search_key")]
    names = ", ".join(c.name for c in columns)
    values = ", ".join(f"CAST(:{c.name} AS {c.type.compile(dialect=dialect)})" for c in columns)
    sql = f"""
        WITH likely AS (
            SELECT id FROM intake.persons
            WHERE NOT CAST(:confirmed AS boolean)
              AND agency = CAST(:agency AS text) AND birth_date = :birth_date
              AND erased_at IS NULL AND merged_into IS NULL AND id <> :id
              AND (insz IS NULL OR CAST(:insz AS text) IS NULL)
              AND (SELECT bool_and(word_similarity(w, search_key) >= :threshold)
                   FROM unnest(CAST(:words AS text[])) AS w)
        ), found AS (
            SELECT id, insz, agency FROM intake.persons WHERE insz = :insz
        ), added AS (
            INSERT INTO intake.persons ({names}, possible_duplicates, search_key)
            SELECT {values}, CAST('{{}}' AS uuid[]), CAST(:search_key AS text)
            WHERE NOT EXISTS (SELECT 1 FROM found)
              AND NOT EXISTS (SELECT 1 FROM likely)
            RETURNING id, version
        ), recorded AS (
            INSERT INTO intake.person_history
                (person_id, version, action, changed_by, changed_at, changes)
            SELECT id, version, 'registered', :registered_by, :registered_at,
                   CAST(:changes AS jsonb)
            FROM added
        )
        SELECT id, insz, agency, false AS likely FROM found
        UNION ALL SELECT id, NULL, NULL, true FROM likely
        ORDER BY id
    """
    return text(sql).bindparams(
        *(bindparam(c.name, type_=c.type) for c in columns),
        bindparam("changes", type_=JSONB),
        bindparam("confirmed", type_=Boolean),
        bindparam("threshold", type_=Float),
        bindparam("words", type_=ARRAY(Text)),
        bindparam("search_key", type_=Text),
    )


REGISTRATION = _registration()


@dataclass(frozen=True)
class InszHolder:
    """Who already holds an INSZ: their id and the agency whose case they are."""

    id: UUID
    agency: str


@dataclass(frozen=True)
class Registered:
    """What a registration met: who holds the INSZ already (nothing inserted), the likely
    duplicates awaiting the counter's choice (nothing inserted), or neither (inserted)."""

    owner: InszHolder | None
    likely: list[UUID]


@dataclass(frozen=True)
class PersonFilter:
    insz: str | None = None
    name: str | None = None
    birth_date: date | None = None
    municipality_nis: str | None = None


@dataclass(frozen=True)
class Found:
    """A person found by a search, with how closely their names match the typed name (0..1,
    None when no name was typed; then the list is in alphabetical order)."""

    person: Person
    rank: Decimal | None = None


# Where a page of search results continues: after (rank, lower family name, lower given name,
# id) when searched by name, after (lower family name, lower given name, id) otherwise.
SearchPosition = tuple[Decimal, str, str, UUID] | tuple[str, str, UUID]


class PersonRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, person_id: UUID, *, for_update: bool = False) -> Person | None:
        query = select(persons).where(persons.c.id == person_id)
        if for_update:  # keeps the outbox in the person's order, see UnitOfWork.publish
            query = query.with_for_update()
        row = (await self._session.execute(query)).mappings().first()
        return None if row is None else _person(row)

    async def unknown_among(self, person_ids: list[str], seen: Visibility) -> list[str]:
        """Which of these ids are no (longer a) registered person the caller may see."""
        found = await self._session.scalars(
            select(persons.c.id).where(
                persons.c.id.in_([UUID(i) for i in person_ids]),
                persons.c.erased_at.is_(None),
                persons.c.merged_into.is_(None),
                *_visible_to(seen),
            )
        )
        known = {str(i) for i in found}
        return [i for i in person_ids if i not in known]

    async def visible_among(self, person_ids: list[UUID], seen: Visibility) -> list[UUID]:
        """These ids, less the persons the caller may not see (in the order given)."""
        if seen.agency is None or not person_ids:
            return person_ids
        found = set(
            await self._session.scalars(
                select(persons.c.id).where(persons.c.id.in_(person_ids), *_visible_to(seen))
            )
        )
        return [i for i in person_ids if i in found]

    async def insz_holder(self, insz: str, other_than: UUID | None = None) -> InszHolder | None:
        query = select(persons.c.id, persons.c.agency).where(persons.c.insz == insz)
        if other_than is not None:
            query = query.where(persons.c.id != other_than)
        row = (await self._session.execute(query)).first()
        return None if row is None else InszHolder(row.id, row.agency)

    async def register(
        self, person: Person, by: str, changes: list[dict[str, Any]], *, confirmed: bool = False
    ) -> Registered:
        """Insert a new person with its near-duplicates flagged and its first history entry,
        unless someone holds this INSZ or (not ``confirmed``) likely duplicates exist: then
        nothing is inserted and the answer says who."""
        rows = (
            await self._session.execute(
                REGISTRATION,
                vars(person)
                | {
                    "registered_by": by,
                    "changes": changes,
                    "confirmed": confirmed,
                    "threshold": WORD_THRESHOLD,
                    "words": query_words(f"{person.given_name or ''} {person.family_name or ''}"),
                    "search_key": search_key(person.given_name, person.family_name),
                },
            )
        ).all()
        owner = next((InszHolder(row.id, row.agency) for row in rows if not row.likely), None)
        return Registered(owner, [row.id for row in rows if row.likely])

    async def update(self, person: Person, expected_version: int) -> bool:
        """False when someone else changed the person since ``expected_version``."""
        values = {k: v for k, v in vars(person).items() if k not in ("id", "registered_at")}
        values["search_key"] = search_key(person.given_name, person.family_name)
        result = await self._session.execute(
            update(persons)
            .where(persons.c.id == person.id, persons.c.version == expected_version)
            .values(**values)
        )
        return result.rowcount == 1

    async def record(
        self,
        person: Person,
        action: str,
        by: str,
        at: datetime,
        changes: list[dict[str, Any]],
    ) -> None:
        await self._session.execute(
            person_history.insert(),
            [
                {
                    "person_id": person.id,
                    "version": person.version,
                    "action": action,
                    "changed_by": by,
                    "changed_at": at,
                    "changes": changes,
                }
            ],
        )

    async def history(self, person_id: UUID) -> list[dict[str, Any]]:
        rows = await self._session.execute(
            select(person_history)
            .where(person_history.c.person_id == person_id)
            .order_by(person_history.c.id)
        )
        return [dict(row) for row in rows.mappings()]

    async def forget_history_values(self, person_id: UUID, personal: tuple[str, ...]) -> None:
        """Erasure: old and new values of personal fields leave the history too."""
        for row in await self.history(person_id):
            scrubbed = [
                change | {"old": None, "new": None} if change["field"] in personal else change
                for change in row["changes"]
            ]
            await self._session.execute(
                update(person_history)
                .where(person_history.c.id == row["id"])
                .values(changes=scrubbed)
            )

    async def forget_stored_answers(self, person_id: UUID) -> None:
        """Stored Idempotency-Key answers repeat the person's data: they go as well."""
        await self._session.execute(
            text(
                "DELETE FROM intake.idempotency_keys "
                "WHERE position(convert_to(:id, 'UTF8') in body) > 0"
            ),
            {"id": str(person_id)},
        )

    async def search(
        self,
        where: PersonFilter,
        after: SearchPosition | None,
        limit: int,
        seen: Visibility,
    ) -> list[Found]:
        """Persons matching every criterion given. A name is matched tolerantly (every typed
        word must resemble a word of the person's names, domain/search.py) and the closest
        come first; without a name, in alphabetical order."""
        query = select(persons).where(
            persons.c.erased_at.is_(None), persons.c.merged_into.is_(None), *_visible_to(seen)
        )
        if where.insz is not None:
            query = query.where(persons.c.insz == where.insz)
        if where.birth_date is not None:
            query = query.where(persons.c.birth_date == where.birth_date)
        if where.municipality_nis is not None:
            query = query.where(persons.c.municipality_nis == where.municipality_nis)
        words = query_words(where.name or "")
        family = func.coalesce(func.lower(persons.c.family_name), "")
        given = func.coalesce(func.lower(persons.c.given_name), "")
        if not words:
            if after is not None:
                query = query.where(tuple_(family, given, persons.c.id) > tuple_(*after))
            rows = await self._session.execute(
                query.order_by(family, given, persons.c.id).limit(limit)
            )
            return [Found(_person(row)) for row in rows.mappings()]
        await _word_threshold(self._session)
        rank = _rank(words)
        query = query.add_columns(rank.label("rank")).where(*_resembles(words))
        if after is not None:  # ties in alphabetical order, like the list without a name
            at, rest = after[0], after[1:]
            names_after = tuple_(family, given, persons.c.id) > tuple_(*rest)
            query = query.where(or_(rank < at, and_(rank == at, names_after)))
        rows = await self._session.execute(
            query.order_by(rank.desc(), family, given, persons.c.id).limit(limit)
        )
        return [Found(_person(row), row["rank"]) for row in rows.mappings()]

    async def merged_into(self, survivor_id: UUID) -> list[UUID]:
        """The records merged into this one (its erasure takes them along)."""
        found = await self._session.scalars(
            select(persons.c.id).where(persons.c.merged_into == survivor_id).order_by(persons.c.id)
        )
        return list(found)

    async def candidates(self, person: Person, ids: list[UUID], limit: int = 10) -> list[Found]:
        """The likely duplicates a registration found (``Registered.likely``), closest to
        ``person``'s names first, to show the counter."""
        words = query_words(f"{person.given_name or ''} {person.family_name or ''}")
        rank = _rank(words) if words else cast(literal(0), Numeric)
        rows = await self._session.execute(
            select(persons, rank.label("rank"))
            .where(persons.c.id.in_(ids))
            .order_by(rank.desc(), persons.c.id)
            .limit(limit)
        )
        return [Found(_person(row), row["rank"]) for row in rows.mappings()]


async def _word_threshold(session: AsyncSession) -> None:
    """The trigram index answers ``%>`` with pg_trgm's own threshold: make it ours."""
    await session.execute(
        text("SELECT set_config('pg_trgm.word_similarity_threshold', :t, true)"),
        {"t": str(WORD_THRESHOLD)},
    )


def _resembles(words: list[str]) -> list[ColumnElement[bool]]:
    """Every typed word resembles a word of the names. Found in two steps (migration 0009): the
    words of the vocabulary that resemble it (its trigram index, ``%>``), then the persons
    having one of those words (``persons_search_words``, exact); the explicit comparison on
    those rows keeps the threshold ours whatever the session's setting, and the result what a
    comparison with every person's key would give."""
    # The separator as a constant, not a parameter: the expression must be the index's own
    # (``persons_search_words``) for a prepared statement's generic plan too.
    key_words = func.string_to_array(persons.c.search_key, literal_column("' '"), type_=ARRAY(Text))
    return [
        condition
        for word in words
        for condition in (
            key_words.op("&&", return_type=Boolean)(
                select(func.array_agg(search_words.c.word))
                .where(search_words.c.word.op("%>", return_type=Boolean)(word))
                .scalar_subquery()
            ),
            func.word_similarity(word, persons.c.search_key) >= WORD_THRESHOLD,
        )
    ]


def _rank(words: list[str]) -> ColumnElement[Decimal]:
    """How closely the names match: the mean word similarity of the typed words, rounded so a
    page's position can be written in its cursor and compared exactly."""
    total = sum(
        (func.word_similarity(word, persons.c.search_key) for word in words[1:]),
        func.word_similarity(words[0], persons.c.search_key),
    )
    return func.round(cast(total / len(words), Numeric), 4, type_=Numeric(asdecimal=True))


def _visible_to(seen: Visibility) -> list[ColumnElement[bool]]:
    """The visibility rule (domain/agency.py) as a condition on sets of persons."""
    return [] if seen.agency is None else [persons.c.agency == seen.agency]


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _person(row: Any) -> Person:
    return Person(**{k: row[k] for k in PERSON_COLUMNS})


class OrganisationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, values: dict[str, Any]) -> None:
        await self._session.execute(organisations.insert().values(**values))

    async def get(self, organisation_id: UUID) -> dict[str, Any] | None:
        row = (
            (
                await self._session.execute(
                    select(organisations).where(organisations.c.id == organisation_id)
                )
            )
            .mappings()
            .first()
        )
        return None if row is None else dict(row)

    async def id_with_number(self, enterprise_number: str) -> UUID | None:
        return await self._session.scalar(
            select(organisations.c.id).where(organisations.c.enterprise_number == enterprise_number)
        )

    async def add_candidacy(self, values: dict[str, Any]) -> None:
        await self._session.execute(candidacies.insert().values(**values))

    async def search(
        self, words: str | None, after: tuple[str, str] | None, limit: int
    ) -> list[dict[str, Any]]:
        """Organisations by name or (part of) their KBO number, ordered by name."""
        name = func.lower(organisations.c.name)
        query = select(organisations)
        for word in (words or "").lower().split():
            digits = "".join(ch for ch in word if ch.isdigit())
            by_name = name.like(f"%{_escape_like(word)}%")
            query = query.where(
                or_(by_name, organisations.c.enterprise_number.like(f"%{digits}%"))
                if digits and len(digits) >= 3
                else by_name
            )
        if after is not None:
            query = query.where(tuple_(name, organisations.c.id) > tuple_(after[0], UUID(after[1])))
        rows = await self._session.execute(query.order_by(name, organisations.c.id).limit(limit))
        return [dict(row) for row in rows.mappings()]

    async def candidacies_of(self, organisation_id: UUID) -> list[dict[str, Any]]:
        rows = await self._session.execute(
            select(candidacies)
            .where(candidacies.c.organisation_id == organisation_id)
            .order_by(candidacies.c.submitted_at.desc(), candidacies.c.id)
        )
        return [dict(row) for row in rows.mappings()]
