"""The OpenAPI 3.1 document of the server, generated from its route table
and the msgspec types the routes decode and encode, so it lists exactly the
routes the app serves with exactly their bodies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from rafa_async.server._types import ErrorBody

REF = "#/components/schemas/{name}"


@dataclass(frozen=True, slots=True)
class Route:
    """One route of the app, as served and as documented."""

    method: str
    path: str
    summary: str
    response: type[msgspec.Struct] | None = None
    """The JSON body of a success (``None``: not JSON; see ``content``)."""
    status: int = 200
    body: type[msgspec.Struct] | None = None
    query: tuple[tuple[str, str], ...] = ()
    """Integer query parameters: (name, description)."""
    content: str | tuple[str, ...] = "application/json"
    """The media type(s) of a success."""
    errors: tuple[int, ...] = ()
    public: bool = False
    """Served without the token (the live page's files: they hold no data)."""


def _parameters(route: Route) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name.strip("{}"), "in": "path", "required": True, "schema": {"type": "string"}}
        for name in route.path.split("/")
        if name.startswith("{")
    ]
    params += [
        {"name": name, "in": "query", "required": False, "description": text}
        | {"schema": {"type": "integer", "minimum": 0}}
        for name, text in route.query
    ]
    return params


def openapi_document(routes: Sequence[Route], *, title: str, version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document for ``routes`` (every 4xx/5xx is :class:`ErrorBody`)."""
    types = {t for r in routes for t in (r.body, r.response) if t is not None} | {ErrorBody}
    ordered = sorted(types, key=lambda t: t.__name__)
    (_, components) = msgspec.json.schema_components(ordered, ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if route.response is not None:
            schema = {"$ref": REF.format(name=route.response.__name__)}
        else:
            schema = {"type": "string"}
        media = (route.content,) if isinstance(route.content, str) else route.content
        success = {"content": {m: {"schema": schema} for m in media}}
        error = {
            "content": {"application/json": {"schema": {"$ref": REF.format(name="ErrorBody")}}}
        }
        responses: dict[str, Any] = {str(route.status): {"description": "OK"} | success}
        for status in route.errors if route.public else (*route.errors, 401):
            responses[str(status)] = {"description": _REASONS[status]} | error
        operation: dict[str, Any] = {
            "summary": route.summary,
            "operationId": f"{route.method.lower()}_{_slug(route.path)}",
            "parameters": _parameters(route),
            "responses": responses,
            "security": [{}] if route.public else [{"token": []}, {}],
        }
        if route.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": REF.format(name=route.body.__name__)}}
                },
            }
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
    }


def _slug(path: str) -> str:
    return "_".join(p.strip("{}") for p in path.split("/") if p) or "root"


_REASONS = {
    400: "Bad request: the body or a parameter is wrong (field names which)",
    401: "No token, or a wrong one",
    404: "No such match, tournament or file",
    413: "Request body too large",
    429: "Too many matches, tournaments or WebSocket clients; see Retry-After",
}
