"""An OpenAPI document that tells the truth about what the API sends.

FastAPI declares only the success answer and a 422 in a shape we never send. ``truthful``
post-processes the generated document of every app: the problem statuses each operation can
answer, as ``application/problem+json`` with a ``Problem`` schema, and formats that match
what is sent (a ``time`` of day goes out as ``08:00:00``, without the offset JSON Schema's
``time`` format asks for)."""

from copy import deepcopy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from civic_common.api.problems import MEDIA_TYPE

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TIME_OF_DAY = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; ``errors`` names the fields refused.",
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                "required": ["field", "message"],
            },
        },
    },
    "required": ["title", "status"],
}

DESCRIPTIONS = {
    400: "Onleesbare aanvraag",
    401: "Geen of een ongeldig token",
    403: "Geen toegang met deze rol of organisatie",
    404: "Niet gevonden",
    409: "In strijd met de huidige toestand",
    410: "Gewist",
    412: "Verouderde versie (If-Match)",
    413: "Te groot",
    422: "Ongeldige invoer; errors noemt de velden",
    428: "If-Match vereist",
    429: "Te veel aanvragen; zie Retry-After",
    503: "Tijdelijk niet beschikbaar; zie Retry-After",
}
WRITES = {"post", "put", "patch", "delete"}


def download_responses(*media_types: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` of a route answering JSON or a document (``text/csv``, ``XLSX``,
    ``application/pdf``), as its ``format`` parameter asks."""
    content: dict[str, Any] = {"application/json": {"schema": {"type": "object"}}}
    for media_type in media_types:
        content[media_type] = (
            {"schema": {"type": "string"}}
            if media_type.startswith("text/")
            else {"schema": {"type": "string", "format": "binary"}}
        )
    return {200: {"description": "Het rapport, in het gevraagde formaat", "content": content}}


def _statuses(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    parameters = operation.get("parameters", [])
    found = {400, 401, 403, 422, 503}
    if any(p.get("in") == "path" for p in parameters):
        found |= {404, 410}
    if method in WRITES:
        found |= {404, 409}
    if "requestBody" in operation:
        found.add(413)
    if any(p.get("in") == "header" and p.get("name", "").lower() == "if-match" for p in parameters):
        found |= {412, 428}
    if path.startswith("/partners") or "token" in path:
        found.add(429)
    return found


def _times(node: Any) -> None:
    """``format: time`` (RFC 3339 full-time, with offset) -> the partial time we send."""
    if isinstance(node, dict):
        if node.get("format") == "time" and node.get("type") == "string":
            del node["format"]
            node["pattern"] = TIME_OF_DAY
        for value in node.values():
            _times(value)
    elif isinstance(node, list):
        for value in node:
            _times(value)


def make_truthful(document: dict[str, Any]) -> dict[str, Any]:
    document = deepcopy(document)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    problem = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(_statuses(path, method, operation)):
                declared = responses.setdefault(str(status), {})
                declared["description"] = declared.get("description") or DESCRIPTIONS[status]
                if str(status) == "422" or "content" not in declared:
                    declared["content"] = deepcopy(problem)
    _times(document)
    return document


def truthful(app: FastAPI) -> None:
    """Make ``app.openapi()`` answer the post-processed document (built once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = make_truthful(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    openapi_version=app.openapi_version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
