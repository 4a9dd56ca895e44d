"""The paper page as a reference manager sees it: meta tags and the RIS download, from a live server.

Zotero's connector and Google Scholar read the served HTML, so these parse what a real uvicorn
server sends (with lxml, as a crawler would) rather than the template's source.
"""

from __future__ import annotations

import httpx
import pytest
import rispy
from fastapi import FastAPI
from lxml import html
from tests.web.conftest import XSS_ID
from tests.web.live import live_server

from paperfeed.app import Paperfeed
from paperfeed.models import PaperRecord

SEED_ID = "h:1ffa96c1c37d0826d43f"


def _meta(page: str) -> list[tuple[str, str]]:
    """(name or property, content) of every <meta> in the head, in document order."""
    doc = html.fromstring(page)
    out = []
    for el in doc.xpath("//head/meta[@content]"):
        key = el.get("name") or el.get("property")
        if key:
            out.append((key, el.get("content")))
    return out


@pytest.fixture
def live(web_pf: Paperfeed, app: FastAPI):
    web_pf.store.upsert_papers(
        [PaperRecord(id=SEED_ID, title="Doubly Robust Alignment", abstract="A seed-page abstract.", source="demo")]
    )
    with live_server(app) as base, httpx.Client(base_url=base, timeout=10.0) as client:
        yield client


def test_the_paper_page_carries_citation_open_graph_and_twitter_tags(live: httpx.Client) -> None:
    r = live.get("/papers/2607.10001")
    assert r.status_code == 200
    tags = _meta(r.text)
    first = dict(tags)
    assert first["citation_title"] == "Sparse Diffusion Transformers for Fast Image Synthesis"
    assert [v for k, v in tags if k == "citation_author"] == ["Ada Lovelace", "Alan Turing"]  # one per author, in order
    assert first["citation_publication_date"] == "2026/07/14"
    assert first["citation_arxiv_id"] == "2607.10001"
    assert first["citation_pdf_url"] == "https://arxiv.org/pdf/2607.10001"
    page_url = "http://127.0.0.1:8000/papers/2607.10001"  # from the configured base URL, not the Host header
    assert first["citation_abstract_html_url"] == page_url
    assert first["og:url"] == page_url and first["og:type"] == "article"
    assert first["og:title"] == first["twitter:title"] == first["citation_title"]
    assert first["og:description"].startswith("We present a sparse diffusion transformer")
    assert first["twitter:card"] == "summary" and first["twitter:description"] == first["og:description"]


def test_meta_tags_are_escaped(live: httpx.Client) -> None:
    r = live.get(f"/papers/{XSS_ID}")
    assert r.status_code == 200
    head = r.text.split("</head>")[0]
    assert "<script>alert(1)" not in head and "<img src=x" not in head
    tags = _meta(r.text)
    assert dict(tags)["citation_title"] == "<script>alert(1)</script>"  # the text survives, as text
    assert [v for k, v in tags if k == "citation_author"] == ["Eve <img src=x onerror=alert(2)>", "Mallory & Co"]
    assert len(html.fromstring(r.text).xpath("//head/script")) == 1  # only the site's own app.js


def test_a_seed_page_paper_omits_what_it_lacks(live: httpx.Client) -> None:
    r = live.get(f"/papers/{SEED_ID}")
    assert r.status_code == 200
    keys = {k for k, _ in _meta(r.text)}
    assert "citation_title" in keys and "citation_abstract_html_url" in keys
    absent = {"citation_author", "citation_publication_date", "citation_arxiv_id", "citation_pdf_url"}
    assert not keys & absent
    assert all(v not in ("None", "") for _, v in _meta(r.text))


def test_the_ris_download(live: httpx.Client) -> None:
    r = live.get("/papers/2607.10001.ris")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/x-research-info-systems")
    assert 'filename="2607.10001.ris"' in r.headers["content-disposition"]
    [ref] = rispy.loads(r.text)
    assert ref["type_of_reference"] == "UNPB"
    assert ref["title"] == "Sparse Diffusion Transformers for Fast Image Synthesis"
    assert ref["authors"] == ["Ada Lovelace", "Alan Turing"]
    assert ref["date"] == "2026/07/14" and ref["year"] == "2026"
    assert ref["urls"] == ["https://arxiv.org/abs/2607.10001"]
    assert ref["accession_number"] == "2607.10001"
    page = live.get("/papers/2607.10001").text
    assert 'href="/papers/2607.10001.ris"' in page  # linked from the paper page


def test_an_old_style_id_keeps_its_slash_in_tags_and_ris(live: httpx.Client) -> None:
    assert dict(_meta(live.get("/papers/hep-th/9901001").text))["citation_arxiv_id"] == "hep-th/9901001"
    r = live.get("/papers/hep-th/9901001.ris")
    assert r.status_code == 200 and 'filename="hep-th_9901001.ris"' in r.headers["content-disposition"]
    assert rispy.loads(r.text)[0]["accession_number"] == "hep-th/9901001"


def test_ris_of_a_seed_paper_and_of_no_paper(live: httpx.Client) -> None:
    [ref] = rispy.loads(live.get(f"/papers/{SEED_ID}.ris").text)
    assert ref["title"] == "Doubly Robust Alignment"
    assert "authors" not in ref and "accession_number" not in ref  # no made-up author or arXiv id
    missing = live.get("/papers/2699.99999.ris")
    assert missing.status_code == 404 and "2699.99999" in missing.text
