"""JSON logs carrying the W3C trace id of the request or event being handled."""

import logging
import logging.config
import secrets
import time
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.json import JsonFormatter

_traceparent: ContextVar[str | None] = ContextVar("traceparent", default=None)


def new_traceparent() -> str:
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def set_traceparent(value: str | None) -> str:
    """Adopt an incoming traceparent (or start a new trace) for the current task."""
    if not value or len(value.split("-")) != 4:
        value = new_traceparent()
    _traceparent.set(value)
    return value


def current_traceparent() -> str | None:
    return _traceparent.get()


def trace_id() -> str | None:
    tp = _traceparent.get()
    return tp.split("-")[1] if tp else None


class TraceFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.trace_id = trace_id()
        return True


# ``extra`` of a line that repeats as long as something is away (``RepeatFilter``).
HELD_REPEATS: dict[str, Any] = {"held": True}


class RepeatFilter(logging.Filter):
    """Lets one line of a kind through per ``interval`` seconds. While a broker is away,
    aiokafka logs the same refused connection several times per 100 ms retry (thousands of
    lines a minute per process); what the operator needs is that it goes on, and how often.
    A kind is the logger, level and message template; the next line let through says how many
    were held back. Only loggers under ``prefixes`` are held back, and lines logged with
    ``extra=HELD_REPEATS`` (e.g. a polling loop's "database unavailable", once per round)."""

    def __init__(self, interval: float = 30.0, prefixes: tuple[str, ...] = ("aiokafka",)) -> None:
        super().__init__()
        self._interval = interval
        self._prefixes = prefixes
        self._seen: dict[tuple[str, int, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not (record.name.startswith(self._prefixes) or getattr(record, "held", False)):
            return True
        kind = (record.name, record.levelno, str(record.msg))
        now = time.monotonic()
        last, held = self._seen.get(kind, (-self._interval, 0))
        if now - last < self._interval:
            self._seen[kind] = (last, held + 1)
            return False
        self._seen[kind] = (now, 0)
        if held:
            record.repeated = held  # held back since the last line of this kind
        return True


def logging_config(service: str, level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for JSON lines on stdout."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"trace": {"()": TraceFilter}, "repeats": {"()": RepeatFilter}},
        "formatters": {
            "json": {
                "()": JsonFormatter,
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(trace_id)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
                "static_fields": {"service": service},
            }
        },
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "json",
                "filters": ["trace", "repeats"],
            }
        },
        "root": {"handlers": ["stdout"], "level": level},
        # One line per outgoing HTTP call (webhooks, introspection) is noise; failures are
        # logged by the callers with their context.
        "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
    }


def configure_logging(service: str, level: str = "INFO") -> None:
    logging.config.dictConfig(logging_config(service, level))
