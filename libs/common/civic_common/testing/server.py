"""Serving an ASGI app on a free loopback port inside the test's event loop (page tests)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI

from civic_common.testing.plugin import free_port

# The apps being served, by base URL: page tests sign a browser in on them (browser.py).
SERVED: dict[str, FastAPI] = {}


@contextlib.asynccontextmanager
async def serving(app: FastAPI, port: int | None = None) -> AsyncIterator[str]:
    """``async with serving(app) as base_url:`` — a real HTTP server until the block ends, on
    ``port`` when given (a receiver taken down and brought back at the same address)."""
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # re-raise what stopped it
        await asyncio.sleep(0.05)
    base_url = f"http://127.0.0.1:{port}"
    SERVED[base_url] = app
    try:
        yield base_url
    finally:
        SERVED.pop(base_url, None)
        server.should_exit = True
        await task
