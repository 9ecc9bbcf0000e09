"""What one service process holds: its settings, database engine and messaging tables."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from fastapi import FastAPI
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from civic_common.db.engine import create_engine
from civic_common.db.messaging import MessagingTables
from civic_common.db.uow import UnitOfWork
from civic_common.events.contracts import EventData
from civic_common.settings import ServiceSettings


class Worker(Protocol):
    """A service's worker process (civic_common.worker.Worker): starts with ``main()``."""

    def main(self) -> None: ...


@dataclass
class Runtime:
    service: str
    settings: ServiceSettings
    tables: MessagingTables
    migrations: str
    engine: AsyncEngine = field(init=False)
    sessionmaker: async_sessionmaker[AsyncSession] = field(init=False)

    def __post_init__(self) -> None:
        self.engine = create_engine(
            self.settings.database_url.get_secret_value(),
            pool_size=self.settings.db_pool_size,
            max_overflow=self.settings.db_max_overflow,
        )
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessionmaker, self.tables, self.service)


@dataclass(frozen=True)
class ServiceSpec:
    """How the ``civic-service`` command runs a service; each service exports one as ``SERVICE``."""

    name: str
    port: int
    metadata: MetaData
    tables: MessagingTables
    migrations: str
    create_app: Callable[[Runtime], FastAPI]
    create_worker: Callable[[Runtime], "Worker"]
    # What the worker consumes, by topic and event contract: the handlers themselves, whose
    # docstrings' first lines are the consumer matrix in docs/events.md.
    consumes: Callable[[], Mapping[str, Mapping[type[EventData], Callable[..., Any]]]] = lambda: {}
    keeps_person_data: bool = False  # then it must handle every event about a person

    def runtime(self, settings: ServiceSettings | None = None) -> Runtime:
        return Runtime(self.name, settings or ServiceSettings(), self.tables, self.migrations)
