"""The Hugging Face papers-API shapes, as pydantic models, and the functions that fill them.

paperfeed's own ``/api/v1`` shapes live in `paperfeed.schemas` (shared with
the CLI). The HF shapes are copied from real captured responses (nested
``paper`` object in lists and search results, a flat object for one paper,
``highlightedTitle`` / ``highlightedSummary`` segment arrays in search) so
that the unmodified ``huggingface_hub`` client parses them. Like HF, a key
with no value is left out rather than sent as null (`hf_dump`); the fields
HF has and paperfeed cannot fill are listed, with the reason, in docs/api.md.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from paperfeed.models import Paper, http_url
from paperfeed.search.base import Hit


# -- Hugging Face shapes ----------------------------------------------------------
class HfOut(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HfError(HfOut):
    """Errors on the HF-compatible routes are a string, as on huggingface.co."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"error": "paper 0000.00000 not found"}]})
    error: str


class HfAuthor(HfOut):
    name: str = Field(examples=["Ada Lovelace"])
    hidden: bool = Field(examples=[False])


class HfSegment(HfOut):
    type: Literal["text", "highlight"]
    text: str


class HfPaper(HfOut):
    """HF's ``paper`` object; also (plus ``categories``) the whole body of ``/api/papers/{id}``."""

    id: str = Field(examples=["2607.10001"])
    authors: list[HfAuthor]
    publishedAt: str | None = Field(default=None, examples=["2026-07-14T00:00:00.000Z"])
    submittedOnDailyAt: str | None = Field(default=None, description="When announced (absent if unknown).")
    title: str = Field(examples=["Sparse Diffusion Transformers for Fast Image Synthesis"])
    summary: str
    upvotes: int = Field(ge=0, examples=[7])
    githubRepo: str | None = Field(default=None, examples=["https://github.com/example/sparse-dit"])
    githubStars: int | None = Field(default=None, ge=0, description="Latest imported star count.", examples=[1500])
    projectPage: str | None = Field(default=None, examples=[None])
    categories: list[str] | None = Field(
        default=None, description="paperfeed's addition, on /api/papers/{id} only.", examples=[["cs.CV"]]
    )


class HfListItem(HfOut):
    """One element of ``/api/daily_papers``: the paper nested, title/summary repeated on top."""

    paper: HfPaper
    publishedAt: str | None = Field(default=None, examples=["2026-07-14T00:00:00.000Z"])
    title: str
    summary: str
    numComments: int = Field(ge=0, description="Imported Hugging Face comment count (0 if none).", examples=[2])
    isAuthorParticipating: bool


class HfSearchItem(HfListItem):
    """One element of ``/api/papers/search``: a list item plus highlight segments."""

    upvoted: bool
    highlightedTitle: list[HfSegment]
    highlightedSummary: list[HfSegment]


def hf_dump(model: BaseModel) -> Any:
    """HF leaves out keys it has no value for; so do we."""
    return model.model_dump(mode="json", exclude_none=True)


def _hf_time(day: date | None) -> str | None:
    return f"{day.isoformat()}T00:00:00.000Z" if day else None


def hf_paper(
    paper: Paper, upvotes: int, totals: dict[str, int] | None = None, with_categories: bool = False
) -> HfPaper:
    """HF's nested ``paper`` object; `with_categories` for the flat body of ``GET /api/papers/{id}``.

    `totals` are the paper's imported running totals (`Engagement.signal_totals`). Only http(s)
    links are passed on: a stored ``javascript:`` URL must not reach a client that renders it."""
    return HfPaper(
        id=paper.id,
        authors=[HfAuthor(name=name, hidden=False) for name in paper.authors],
        publishedAt=_hf_time(paper.published),
        submittedOnDailyAt=_hf_time(paper.announced),
        title=paper.title,
        summary=paper.abstract,
        upvotes=upvotes,
        githubRepo=http_url(paper.code_url),
        githubStars=(totals or {}).get("github_stars"),
        projectPage=http_url(paper.project_url),
        categories=list(paper.categories) if with_categories else None,
    )


def hf_list_item(paper: Paper, upvotes: int, totals: dict[str, int] | None = None) -> HfListItem:
    return HfListItem(
        paper=hf_paper(paper, upvotes, totals),
        publishedAt=_hf_time(paper.published),
        title=paper.title,
        summary=paper.abstract,
        numComments=(totals or {}).get("hf_comments", 0),
        isAuthorParticipating=False,
    )


def hf_search_item(hit: Hit, upvotes: int, totals: dict[str, int] | None = None) -> HfSearchItem:
    return HfSearchItem(
        **dict(hf_list_item(hit.paper, upvotes, totals)),
        upvoted=False,
        highlightedTitle=[HfSegment.model_validate(s) for s in segments(hit.paper.title, hit.title_highlights)],
        highlightedSummary=[HfSegment.model_validate(s) for s in segments(hit.paper.abstract, hit.abstract_highlights)],
    )


def segments(text: str, spans: list[tuple[int, int]]) -> list[dict[str, str]]:
    """``[{"type": "text"|"highlight", "text": ...}]`` covering `text`; bad or overlapping spans are skipped."""
    out: list[dict[str, str]] = []
    pos = 0
    for start, end in sorted(spans):
        start, end = max(start, pos), min(end, len(text))
        if end <= start:
            continue
        if start > pos:
            out.append({"type": "text", "text": text[pos:start]})
        out.append({"type": "highlight", "text": text[start:end]})
        pos = end
    if pos < len(text) or not out:
        out.append({"type": "text", "text": text[pos:]})
    return out


def paper_markdown(paper: Paper, upvotes: int, page_url: str) -> str:
    """Body of ``GET /papers/{id}.md`` (what ``HfApi.read_paper`` returns)."""
    lines = [
        "---",
        f"title: {_yaml_str(paper.title)}",
        f"arxiv_id: {_yaml_str(paper.id)}",
        f"published: {_iso(paper.published) or ''}",
        f"upvotes: {upvotes}",
        f"url: {page_url}",
        "---",
        "",
        f"# {' '.join(paper.title.split())}",
        "",
    ]
    if paper.authors:
        lines += [f"**Authors:** {', '.join(paper.authors)}", ""]
    meta = []
    if paper.published:
        meta.append(f"**Published:** {paper.published.isoformat()}")
    if paper.categories:
        meta.append(f"**Categories:** {', '.join(paper.categories)}")
    if meta:
        lines += ["  \n".join(meta), ""]
    lines += ["## Abstract", "", paper.abstract.strip(), ""]
    links = [
        (label, url)
        for label, url in (
            ("arXiv", http_url(paper.abs_url)),
            ("PDF", http_url(paper.pdf_url)),
            ("Code", http_url(paper.code_url)),
            ("Project page", http_url(paper.project_url)),
        )
        if url
    ]
    if links:
        lines += ["## Links", ""] + [f"- [{label}]({url})" for label, url in links] + [""]
    return "\n".join(lines)


def _yaml_str(value: str) -> str:
    return '"' + " ".join(value.split()).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
