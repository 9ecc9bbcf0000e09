"""The DPoP replay registry: each proof id is accepted once per key while the proof lives."""

from datetime import UTC, datetime

from sqlalchemy import Table, delete, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from civic_common.auth.dpop import Proof


class ProofRegistry:
    def __init__(self, engine: AsyncEngine, table: Table) -> None:
        self._engine, self._table = engine, table

    async def first_use(self, proof: Proof) -> bool:
        """Record the proof; False when it was seen before (a replay). Expired entries go in the
        same statement, so the table holds about a minute of traffic."""
        t = self._table
        recorded = (
            insert(t)
            .values(
                thumbprint=proof.thumbprint,
                jti=proof.jti,
                expires_at=datetime.fromtimestamp(proof.remember_until, UTC),
            )
            .on_conflict_do_nothing()
            .returning(t.c.jti)
            .add_cte(delete(t).where(t.c.expires_at < func.now()).cte("expired"))
        )
        async with self._engine.begin() as conn:
            return (await conn.execute(recorded)).first() is not None
