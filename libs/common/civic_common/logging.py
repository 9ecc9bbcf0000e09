"""JSON logs carrying the W3C trace id of the request or event being handled."""

import logging
import logging.config
import secrets
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


def logging_config(service: str, level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for JSON lines on stdout; faust takes it as well."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"trace": {"()": TraceFilter}},
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
                "filters": ["trace"],
            }
        },
        "root": {"handlers": ["stdout"], "level": level},
        # One line per outgoing HTTP call (webhooks, introspection) is noise; failures are
        # logged by the callers with their context.
        "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
    }


def configure_logging(service: str, level: str = "INFO") -> None:
    logging.config.dictConfig(logging_config(service, level))
