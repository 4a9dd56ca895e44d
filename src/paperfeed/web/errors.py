"""Errors as users see them: JSON naming the parameter under /api, an HTML page elsewhere.

Never a traceback: unexpected exceptions are logged and answered with a
short 500. The Hugging Face compatible routes answer ``{"error": "..."}``
(a string), as the real service does; paperfeed's own API answers
``{"error": {"param": ..., "message": ...}}``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from paperfeed.search.base import QueryError
from paperfeed.web.templating import render

log = logging.getLogger("paperfeed.web")

HF_PREFIXES = ("/api/papers", "/api/daily_papers")


class NotFound(Exception):  # reads as the HTTP status it becomes
    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def is_hf_path(path: str) -> bool:
    """The HF-compatible routes: ``/api/papers...``, ``/api/daily_papers`` and ``/papers/{id}.md``."""
    return path.startswith(HF_PREFIXES) or (path.startswith("/papers/") and path.endswith(".md"))


def error_response(request: Request, status: int, param: str | None, message: str) -> Response:
    path = request.url.path
    if is_hf_path(path):
        return JSONResponse({"error": message if not param else f"{param}: {message}"}, status_code=status)
    if _is_api(request) or "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"error": {"param": param, "message": message}}, status_code=status)
    titles = {400: "Bad request", 403: "Forbidden", 404: "Not found", 405: "Method not allowed", 429: "Slow down"}
    title = titles.get(status, "Something went wrong")
    return render(request, "error.html", {"title": title, "message": message, "param": param}, status_code=status)


def validation_message(errors: Sequence[Any]) -> tuple[str | None, str]:
    """The first validation error as (param, message): a query name, or a dotted body path such as
    ``topics.queries``; an unknown body field is named as such, so a typo is never silently ignored."""
    first = errors[0] if errors else {}
    where = first.get("loc", ())
    names = [str(x) for x in where[1:] if isinstance(x, str)] if where else []
    param = ".".join(names) if names else (str(where[0]) if where and where[0] == "body" else None)
    if first.get("type") == "extra_forbidden":
        unknown = [".".join(str(x) for x in e["loc"][1:]) for e in errors if e.get("type") == "extra_forbidden"]
        return param, "unknown field" + ("s" if len(unknown) > 1 else "") + ": " + ", ".join(unknown)
    if first.get("type") == "json_invalid":
        return "body", "the body is not valid JSON"
    message = first.get("msg", "invalid value")
    value = first.get("input")
    if isinstance(value, str):
        message = f"{message} (got '{value[:60]}')"
    return param, message


def install(app: FastAPI) -> None:
    @app.exception_handler(QueryError)
    async def _query_error(request: Request, exc: QueryError) -> Response:
        return error_response(request, 400, exc.param, exc.message)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> Response:
        return error_response(request, 404, exc.param, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        param, message = validation_message(exc.errors())
        return error_response(request, 400, param, message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail
        if isinstance(detail, dict):
            response = error_response(request, exc.status_code, detail.get("param"), str(detail.get("message")))
        else:
            message = {404: f"nothing at {request.url.path}"}.get(exc.status_code, str(detail))
            response = error_response(request, exc.status_code, None, message)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, 500, None, "an internal error occurred; it has been logged")
