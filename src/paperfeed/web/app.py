"""The ASGI application: `create_app(pf)` wires routers, middleware, templates and static files.

`factory()` builds one from the environment (``PAPERFEED_*``); it is what
``paperfeed serve`` hands to uvicorn, so every worker process opens its own
`Paperfeed` (store connections and index readers are per process).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from paperfeed.app import Paperfeed, open_paperfeed
from paperfeed.config import Settings
from paperfeed.web import api, docs, errors, feed_routes, hf_api, pages, subscribe
from paperfeed.web.bodies import BodySizeLimitMiddleware
from paperfeed.web.cache import TTLCache
from paperfeed.web.engagement import Engagement, EngagementLimits
from paperfeed.web.security import SecurityHeadersMiddleware, Signer
from paperfeed.web.templating import STATIC_DIR, build_templates

access_log = logging.getLogger("paperfeed.access")


class CachedStaticFiles(StaticFiles):
    """Static files with long cache lifetimes: links carry ``?v=<hash of the assets>``."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


class AccessLogMiddleware:
    """One log line per request: method, path, status, milliseconds (plain ASGI, no buffering)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_logged(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                client = scope.get("client")
                access_log.info(
                    "%s %s %s %d %.1fms",
                    client[0] if client else "-",
                    scope["method"],
                    scope["path"],
                    status,
                    (time.perf_counter() - start) * 1000,
                )


def create_app(pf: Paperfeed, close_on_shutdown: bool = False, threads: int | None = None) -> FastAPI:
    """The web site, JSON API, HF-compatible API and feeds over one `Paperfeed`.

    `threads` caps the thread pool that runs the (synchronous, mostly
    CPU-bound) handlers. Under the GIL, many threads only add switching: a
    small pool keeps a worker's tail latency down under load.
    """

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if threads:
            anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        yield
        _app.state.engagement.close()  # writes the queued views
        if close_on_shutdown:
            pf.close()

    app = FastAPI(
        title="paperfeed",
        version="1",
        description=(
            "Self-hosted research-paper discovery: paperfeed's own JSON API under `/api/v1` and a Hugging Face"
            " compatible papers API. Errors are one JSON shape per family, documented on every route:"
            ' `{"error": {"param": ..., "message": ...}}` under `/api/v1`, `{"error": "..."}` on the Hugging Face'
            " routes; 400 bad input (an unknown body field is named), 403 bad token, 404 unknown id, 429 slow down."
            " A guide with curl examples: docs/api.md."
        ),
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.pf = pf
    app.state.signer = Signer(pf.settings.resolved_secret_key())
    app.state.templates = build_templates()
    app.state.engagement = Engagement(pf.store, EngagementLimits.from_settings(pf.settings), clock=lambda: pf.clock())
    app.state.list_cache = TTLCache(ttl_s=5.0)

    errors.install(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        papers = pf.store.count_papers()
        return JSONResponse({"status": "ok", "papers": papers}, headers={"Cache-Control": "no-store"})

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        """Serving (always 200 once the store answers) and how far the indexes lag the store.

        `status` is "ready" when both indexes have every paper, "indexing" while the
        background job works through a backlog (search answers, partly by keyword only).
        """
        return JSONResponse(readiness(pf), headers={"Cache-Control": "no-store"})

    app.mount("/static", CachedStaticFiles(directory=str(STATIC_DIR)), name="static")
    app.mount(docs.ASSETS_URL, CachedStaticFiles(directory=str(docs.ASSETS_DIR)), name="api-docs-assets")
    app.openapi = lambda: docs.openapi_document(app)  # type: ignore[method-assign]
    app.include_router(docs.router)
    app.include_router(hf_api.router)  # before pages: /papers/{id}.md must win over /papers/{id}
    app.include_router(api.router)
    app.include_router(feed_routes.router)
    app.include_router(subscribe.router)
    app.include_router(pages.router)

    app.add_middleware(BodySizeLimitMiddleware, limit=pf.settings.max_body_bytes)
    # level 6, not Starlette's 9: 9 cost ~25% more CPU for 0.3% smaller search/home pages (measured)
    app.add_middleware(GZipMiddleware, minimum_size=800, compresslevel=6)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(AccessLogMiddleware)
    return app


def readiness(pf: Paperfeed) -> dict[str, Any]:
    """What /readyz reports: index lag in papers (keyword and semantic) and the semantic coverage."""
    papers = pf.store.count_papers()
    out: dict[str, Any] = {"status": "ready", "papers": papers}
    try:
        search = pf.search
        cov = search.coverage(max_age_s=0)
        indexed = search.backends.lexical.indexed_seq()  # type: ignore[attr-defined]
        keyword_lag = pf.store.backlog_size(indexed, pf.store.max_seq(), None)[0]
    except Exception as exc:
        return {**out, "status": "degraded", "error": f"search unavailable: {exc}"}
    semantic_lag = cov.pending if cov.enabled else 0
    out.update(
        status="ready" if keyword_lag == 0 and semantic_lag == 0 else "indexing",
        index_lag={"keyword_papers": keyword_lag, "semantic_papers": semantic_lag},
        semantic_coverage=cov.as_dict(),
    )
    return out


def factory() -> FastAPI:
    """uvicorn's app factory (``paperfeed.web.app:factory``): settings from ``PAPERFEED_*``."""
    settings = Settings()
    pf = open_paperfeed(settings)
    return create_app(pf, close_on_shutdown=True, threads=settings.web_threads)


__all__ = ["create_app", "factory"]
