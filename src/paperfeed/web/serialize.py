"""Papers as JSON: paperfeed's own `/api/v1` shape and the Hugging Face papers-API shape.

The HF shapes are copied from real captured responses (nested ``paper``
object in lists and search results, a flat object for one paper,
``highlightedTitle`` / ``highlightedSummary`` segment arrays in search) so
that the unmodified ``huggingface_hub`` client parses them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from paperfeed.models import Paper, http_url
from paperfeed.search.base import Hit


def paper_json(paper: Paper, upvotes: int = 0, base_url: str = "") -> dict[str, Any]:
    return {
        "id": paper.id,
        "version": paper.version,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": list(paper.authors),
        "categories": list(paper.categories),
        "primary_category": paper.primary_category,
        "published": _iso(paper.published),
        "submitted": _iso(paper.submitted),
        "updated": _iso(paper.updated),
        "announced": _iso(paper.announced),
        "doi": paper.doi,
        "comment": paper.comment,
        "journal_ref": paper.journal_ref,
        "links": {
            "html": f"{base_url}/papers/{paper.id}",
            "abs": http_url(paper.abs_url),
            "pdf": http_url(paper.pdf_url),
            "code": http_url(paper.code_url),
            "project": http_url(paper.project_url),
        },
        "upvotes": upvotes,
    }


def hit_json(hit: Hit, upvotes: int = 0, base_url: str = "") -> dict[str, Any]:
    return {
        "paper": paper_json(hit.paper, upvotes, base_url),
        "score": hit.score,
        "lexical_rank": hit.lexical_rank,
        "dense_rank": hit.dense_rank,
        "lexical_score": hit.lexical_score,
        "dense_score": hit.dense_score,
        "title_html": hit.title_html,
        "abstract_html": hit.abstract_html,
    }


# -- Hugging Face shapes ----------------------------------------------------------
def _hf_time(day: date | None) -> str | None:
    return f"{day.isoformat()}T00:00:00.000Z" if day else None


def hf_paper_fields(paper: Paper, upvotes: int) -> dict[str, Any]:
    """The fields of HF's ``paper`` object (also the whole body of ``/api/papers/{id}``)."""
    out: dict[str, Any] = {
        "id": paper.id,
        "authors": [{"name": name, "hidden": False} for name in paper.authors],
        "publishedAt": _hf_time(paper.published),
        "title": paper.title,
        "summary": paper.abstract,
        "upvotes": upvotes,
        "discussionId": None,
    }
    if paper.announced:
        out["submittedOnDailyAt"] = _hf_time(paper.announced)
    if http_url(paper.code_url):
        out["githubRepo"] = http_url(paper.code_url)
    if http_url(paper.project_url):
        out["projectPage"] = http_url(paper.project_url)
    return out


def hf_paper(paper: Paper, upvotes: int) -> dict[str, Any]:
    """Body of ``GET /api/papers/{id}``: one flat object."""
    out = hf_paper_fields(paper, upvotes)
    out.pop("discussionId")
    out["categories"] = list(paper.categories)
    return out


def hf_list_item(paper: Paper, upvotes: int) -> dict[str, Any]:
    """One element of ``/api/daily_papers``: the paper nested, title/summary repeated on top."""
    return {
        "paper": hf_paper_fields(paper, upvotes),
        "publishedAt": _hf_time(paper.published),
        "title": paper.title,
        "summary": paper.abstract,
        "numComments": 0,
        "isAuthorParticipating": False,
    }


def hf_search_item(hit: Hit, upvotes: int) -> dict[str, Any]:
    out = hf_list_item(hit.paper, upvotes)
    out["upvoted"] = False
    out["highlightedTitle"] = segments(hit.paper.title, hit.title_highlights)
    out["highlightedSummary"] = segments(hit.paper.abstract, hit.abstract_highlights)
    return out


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
