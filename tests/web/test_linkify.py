"""Links in comments and abstracts: clickable when http(s), escaped text otherwise."""

from __future__ import annotations

import httpx
import pytest
from lxml import html

from paperfeed.app import Paperfeed
from paperfeed.models import PaperRecord
from paperfeed.web.templating import linkify

HOSTILE_COMMENT = (
    "Code: https://github.com/example/repo. Demo (https://example.org/demo_(v2)). "
    'Not a link: javascript:alert(document.cookie) nor <a href="javascript:alert(1)">click</a> '
    'nor data:text/html,<script>alert(2)</script> nor https://example.org/"onmouseover="alert(3)'
)


def test_linkify_links_only_http_urls_and_escapes_the_rest() -> None:
    out = str(linkify(HOSTILE_COMMENT))
    anchors = html.fragment_fromstring(out, create_parent="div").xpath("//a")
    assert [a.get("href") for a in anchors] == [
        "https://github.com/example/repo",  # the sentence's full stop is not part of it
        "https://example.org/demo_(v2)",  # its own parentheses are; the enclosing one is not
        "https://example.org/",  # a quote ends a URL: no attribute can be smuggled in
    ]
    assert all(a.get("rel") == "nofollow noopener" for a in anchors)
    assert "javascript:alert(document.cookie)" in out  # as text
    assert "&lt;a href=&#34;javascript:alert(1)&#34;&gt;" in out and "&lt;script&gt;" in out
    assert str(linkify(None)) == "" and str(linkify("http:// no host")) == "http:// no host"


@pytest.mark.anyio
async def test_the_paper_page_links_comment_and_abstract_urls_safely(
    web_pf: Paperfeed, client: httpx.AsyncClient
) -> None:
    web_pf.store.upsert_papers(
        [
            PaperRecord(
                id="2607.10099",
                title="A Paper With Links",
                abstract="Our code is at https://github.com/example/abstract-code, see also javascript:void(0).",
                authors=["Ada Lovelace"],
                comment=HOSTILE_COMMENT,
                source="test",
            )
        ]
    )
    r = await client.get("/papers/2607.10099")
    assert r.status_code == 200
    doc = html.fromstring(r.text)
    comment = doc.xpath("//dt[.='Comment']/following-sibling::dd[1]")[0]
    abstract = doc.xpath("//div[@class='abstract']")[0]
    hrefs = [a.get("href") for a in comment.xpath(".//a")] + [a.get("href") for a in abstract.xpath(".//a")]
    assert hrefs == [
        "https://github.com/example/repo",
        "https://example.org/demo_(v2)",
        "https://example.org/",
        "https://github.com/example/abstract-code",
    ]
    assert all(a.get("rel") == "nofollow noopener" for a in comment.xpath(".//a") + abstract.xpath(".//a"))
    assert not any(href.lower().startswith(("javascript:", "data:")) for href in doc.xpath("//@href"))
    assert "javascript:alert(document.cookie)" in comment.text_content()  # shown, as text
    assert not doc.xpath("//body//script")  # the <script> in the comment stayed text
