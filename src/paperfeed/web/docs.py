"""Interactive API docs at ``/api/v1/docs``: Swagger UI, served from this server, never from a CDN.

The Swagger UI files come from the ``fastapi-offline`` package, which bundles
a current Swagger UI build (5.x, so OpenAPI 3.1 renders); paperfeed only adds
the page and a small start-up script (`static/api-docs.js`), so the strict
Content-Security-Policy (no inline scripts or styles) holds on this page too.

`openapi_document` post-processes FastAPI's document into the contract as it
really is: validation failures answer 400 with ``{"error": ...}``, not
FastAPI's default 422 ``{"detail": [...]}``, so that default is removed.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse

from paperfeed.web.templating import render

ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS_URL = "/api/v1/docs/assets"
ASSETS_VERSION = version("fastapi-offline")

router = APIRouter(include_in_schema=False)


def optional_string(**schema: Any) -> dict[str, Any]:
    """``json_schema_extra`` for an optional query string: the documented form, or empty (``?date=``), which
    the parsers read as absent, as the HTML forms send it. Keeps the schema true for a fuzzer's both ways."""
    return {"anyOf": [{"type": "string", **schema}, {"type": "string", "maxLength": 0}]}


# Years 1900-2999: the span the parsers accept (web/params.py MIN_DATE / MAX_DATE); outside it a date is a 400.
_YEAR = r"(19|2[0-9])[0-9]{2}"
DATE_PARAM = optional_string(format="date", pattern=rf"^{_YEAR}-")
WEEK_PARAM = optional_string(pattern=rf"^{_YEAR}-W(0?[1-9]|[1-4][0-9]|5[0-3])$")
MONTH_PARAM = optional_string(pattern=rf"^{_YEAR}-(0?[1-9]|1[0-2])$")
CATEGORY_PARAM = optional_string(maxLength=40, pattern=r"^[A-Za-z][A-Za-z0-9-]*(\.[A-Za-z0-9-]+)?$")


@router.get("/api/v1/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI over ``/api/v1/openapi.json``, with "Try it out" against this server."""
    return render(
        request,
        "api_docs.html",
        {"assets": ASSETS_URL, "assets_version": ASSETS_VERSION, "openapi_url": request.app.openapi_url},
    )


def _drop_null(schema: dict[str, Any]) -> None:
    """``str | None = None`` parameters come out as ``anyOf: [string, null]``; a query string is never null
    (an absent parameter is the None), so the parameter's schema is just the string one."""
    options = schema.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options and len(options) == 2:
        (kept,) = (o for o in options if o != {"type": "null"})
        del schema["anyOf"]
        schema.update(kept)


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """FastAPI's OpenAPI document without the 422 responses paperfeed never sends (cached like FastAPI's)."""
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    for methods in doc.get("paths", {}).values():
        for operation in methods.values():
            if isinstance(operation, dict):
                operation.get("responses", {}).pop("422", None)
                for parameter in operation.get("parameters", []):
                    _drop_null(parameter.get("schema", {}))
    schemas = doc.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    app.openapi_schema = doc
    return doc
