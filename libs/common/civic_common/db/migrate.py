"""Alembic, one history per service in its own schema, run programmatically at start-up."""

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine


def _config(script_location: str, schema: str, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", script_location)
    config.attributes["schema"] = schema
    config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine, script_location: str, schema: str) -> None:
    """Bring the schema to head. An advisory lock lets the api and worker both call this safely."""
    async with engine.begin() as conn:
        await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": schema})
        await conn.run_sync(
            lambda sync: command.upgrade(_config(script_location, schema, sync), "head")
        )


async def at_head(engine: AsyncEngine, script_location: str, schema: str) -> bool:
    head = ScriptDirectory.from_config(_config(script_location, schema)).get_current_head()
    async with engine.connect() as conn:
        current = await conn.run_sync(
            lambda sync: MigrationContext.configure(
                sync, opts={"version_table_schema": schema}
            ).get_current_revision()
        )
    return current == head


def run_migrations() -> None:
    """The body of every service's ``migrations/env.py``."""
    connection: Connection = context.config.attributes["connection"]
    schema: str = context.config.attributes["schema"]
    context.configure(connection=connection, version_table_schema=schema)
    with context.begin_transaction():
        context.run_migrations()
