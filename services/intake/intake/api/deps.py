"""Request dependencies of intake's routes."""

from fastapi import Request

from civic_common.db.uow import UnitOfWork
from civic_common.runtime import Runtime


async def uow(request: Request) -> UnitOfWork:
    """A fresh unit of work. Async on purpose: FastAPI runs a plain ``def`` dependency (like
    civic_common.api.app.uow) in a worker thread, a thread hop on every request."""
    runtime: Runtime = request.app.state.runtime
    return runtime.uow()
