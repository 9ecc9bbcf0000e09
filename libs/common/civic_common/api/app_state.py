"""What the app factory keeps on ``app.state``, read back with types."""

from fastapi import Request

from civic_common.runtime import Runtime


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime
