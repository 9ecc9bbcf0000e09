"""Running the platform's processes for tests: their environment, start-up and shutdown."""

import asyncio
import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx
from pydantic_settings import BaseSettings


def process_environment(
    settings: BaseSettings, port: int | None, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment a process of a service reads ``settings`` back from (``CIVIC_*``)."""
    env = (
        dict(os.environ)
        | {
            f"CIVIC_{name.upper()}": str(
                value.get_secret_value() if hasattr(value, "get_secret_value") else value
            )
            for name, value in settings.model_dump().items()
            if value is not None
        }
        | dict(extra or {})  # the caller's word goes over the settings' defaults
    )
    if port is not None:
        env["CIVIC_HTTP_PORT"] = str(port)
    return env


def stop_processes(processes: Sequence[subprocess.Popen], grace: float = 15.0) -> None:
    """SIGTERM every process group, then SIGKILL those still running after ``grace``."""
    for process in processes:
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


async def wait_ready(
    urls: Mapping[str, str], processes: Sequence[subprocess.Popen], within: float
) -> None:
    """Until every ``/readyz`` answers 200; fails at once if a process exits meanwhile."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    async with httpx.AsyncClient(timeout=2) as http:
        pending = dict(urls)
        while pending and loop.time() < deadline:
            if any(p.poll() is not None for p in processes):
                raise RuntimeError("a service process exited during start-up")
            for name, url in list(pending.items()):
                try:
                    if (await http.get(f"{url}/readyz")).status_code == 200:
                        del pending[name]
                except httpx.HTTPError:
                    pass
            await asyncio.sleep(0.5)
    if pending:
        raise RuntimeError(f"not ready in {within}s: {sorted(pending)}")


class Process:
    """One process of the platform that a test can kill and start again, as a supervisor would."""

    def __init__(
        self, name: str, command: Sequence[str], env: Mapping[str, str], log: Path
    ) -> None:
        self.name, self.command, self.env, self.log = name, list(command), dict(env), log
        self.popen: subprocess.Popen | None = None

    def start(self) -> None:
        mode = "a" if self.log.exists() else "w"
        with self.log.open(mode) as out:
            self.popen = subprocess.Popen(
                self.command,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def signal(self, signum: int) -> None:
        if self.popen is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signum)

    def kill(self) -> None:
        """``kill -9``, and wait until it is gone."""
        self.signal(signal.SIGKILL)
        if self.popen is not None:
            self.popen.wait()

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None
