"""Jinja2 set-up shared by every page (and by the subscription router).

Autoescaping is on for every template; the only values inserted unescaped
are the search highlights, which the search layer hands over already
escaped with ``<mark>`` added (`Hit.title_html` / `abstract_html`), wrapped
in `Markup` in exactly one place (the `highlighted` filter).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from paperfeed.models import http_url
from paperfeed.web.params import PERIOD_LABELS
from paperfeed.web.security import CSRF_FIELD, csrf_token

# Trending's windows end now: "the last day" is today so far (UTC), the others count back whole days.
WINDOW_LABELS = {"day": "Today", "week": "Last 7 days", "month": "Last 30 days"}
WINDOW_PHRASES = {"day": "today", "week": "in the last 7 days", "month": "in the last 30 days"}

HERE = Path(__file__).resolve().parent
TEMPLATE_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
SUBSCRIBE_TEXT = "Get trending papers in your email inbox once a day"


def _asset_version() -> str:
    """Changes when any static file changes, so links can be cached for a year."""
    h = hashlib.sha256()
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:10]


def qs(params: dict[str, Any] | None = None, **overrides: Any) -> str:
    """``?a=1&b=2`` from a dict plus overrides; None/empty values are left out."""
    merged = dict(params or {})
    merged.update(overrides)
    clean = {k: v for k, v in merged.items() if v not in (None, "", False)}
    return ("?" + urlencode(clean)) if clean else ""


def paper_path(paper_id: str) -> str:
    return "/papers/" + quote(paper_id, safe="/.-_")


def is_seed(paper_id: str) -> bool:
    """A paper known only from the seed listing page (``h:`` ids): no arXiv id, date or authors."""
    return paper_id.startswith("h:")


def plural(n: int | float, singular: str, many: str | None = None) -> str:
    """'1 paper', '12 papers', '1,024 results': whole counts in words, the right plural."""
    count = round(n)
    word = singular if count == 1 else (many or singular + "s")
    return f"{count:,} {word}"


def span_path(span: Any) -> str:
    """The Hugging Face style address of a day, week or month: /papers/date/2026-07-01, .../week/2026-W27."""
    kind = "date" if span.period == "day" else span.period
    return f"/papers/{kind}/{span.key}"


def highlighted(value: str | None, fallback: str = "") -> Markup:
    """Search highlights are pre-escaped HTML by contract; everything else is escaped."""
    if value:
        return Markup(value)  # escaped by the search layer, see search.base.Hit
    return Markup.escape(fallback)


# A candidate link: http(s) up to whitespace or a character that cannot be part of a URL in running text.
_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?*"
_CLOSERS = {")": "(", "]": "[", "}": "{"}


def _trim_url(url: str) -> str:
    """Drop sentence punctuation after a URL, and a closing bracket that does not close one inside it."""
    while url:
        last = url[-1]
        if last in _TRAILING or (last in _CLOSERS and url.count(last) > url.count(_CLOSERS[last])):
            url = url[:-1]
        else:
            break
    return url


def linkify(text: str | None) -> Markup:
    """`text` escaped, with each http(s) URL in it made a link.

    Comments and abstracts come from outside: only what `http_url` accepts becomes an href
    (a ``javascript:`` or ``data:`` URL, or anything else, stays escaped text), and the links
    carry ``rel="nofollow noopener"`` so the site neither vouches for them nor lends them its window.
    """
    if not text:
        return Markup("")
    out: list[str] = []
    pos = 0
    for m in _URL.finditer(text):
        url = _trim_url(m.group())
        safe = http_url(url)
        if not safe or len(url) <= url.index("://") + 3:  # a scheme with no host: leave it as text
            continue
        out.append(str(Markup.escape(text[pos : m.start()])))
        href = Markup.escape(safe)
        out.append(f'<a href="{href}" rel="nofollow noopener">{href}</a>')
        pos = m.start() + len(url)
    out.append(str(Markup.escape(text[pos:])))
    return Markup("".join(out))  # every piece above is escaped


def clip(text: str, n: int = 320) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + "…"


def build_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
    env = templates.env
    env.autoescape = True
    env.trim_blocks = True
    env.lstrip_blocks = True
    # Templates ship inside the package and never change under a running server:
    # skip the per-render file stat that auto-reload costs on every include.
    env.auto_reload = False
    env.globals.update(
        csrf_token=csrf_token,
        CSRF_FIELD=CSRF_FIELD,
        qs=qs,
        paper_path=paper_path,
        is_seed=is_seed,
        plural=plural,
        span_path=span_path,
        PERIOD_LABELS=PERIOD_LABELS,
        WINDOW_LABELS=WINDOW_LABELS,
        WINDOW_PHRASES=WINDOW_PHRASES,
        SUBSCRIBE_TEXT=SUBSCRIBE_TEXT,
        asset_version=_asset_version(),
    )
    env.filters.update(highlighted=highlighted, clip=clip, http_url=http_url, linkify=linkify)
    return templates


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """Render a page template; `request` is in the context for `csrf_token(request)`."""
    templates: Jinja2Templates = request.app.state.templates
    ctx = {"request": request} | context
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
