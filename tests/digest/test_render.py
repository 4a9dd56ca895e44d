"""The digest email: subject, parts, and the HTML in real Chromium at a phone's 360 px width."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email import message_from_string, policy
from pathlib import Path

import pytest
from tests.conftest import CHROMIUM_ARGS

from conftest import ARTIFACTS
from paperfeed.digest.model import Digest, DigestItem
from paperfeed.digest.render import Links, render_digest, subject_for
from paperfeed.models import Paper


def _paper(i: int, title: str, abstract: str = "An abstract. " * 30) -> Paper:
    return Paper(
        id=f"2611.{i:05d}",
        title=title,
        abstract=abstract,
        version=1,
        authors=["Ada Lovelace", "Alan Turing", "Grace Hopper", "Claude Shannon", "Emmy Noether"],
        categories=["cs.CL", "cs.AI"],
        submitted=date(2026, 11, 3),
        updated=None,
        announced=date(2026, 11, 3),
        abs_url=None,
        pdf_url=f"https://arxiv.org/pdf/2611.{i:05d}",
        code_url="https://github.com/" + "x" * 90,
        project_url=None,
        doi=None,
        comment=None,
        journal_ref=None,
        content_hash="h",
    )


def _digest(n: int = 12) -> Digest:
    long_word = "Supercalifragilisticexpialidocious" * 4
    items = [
        DigestItem(_paper(i, f"Paper {i}: {long_word} <b>not bold</b> & friends"), f"trending #{i} today")
        for i in range(1, 4)
    ]
    mine = [
        DigestItem(
            _paper(i, f"A study of diffusion models number {i}"),
            "matches your topic 'diffusion models with a very long query string that goes on'",
        )
        for i in range(4, n + 1)
    ]
    return Digest(1, "reader@example.org", "daily:2026-11-03", date(2026, 11, 3), "daily", items, mine)


LINKS = Links(
    "https://papers.example.org",
    "https://papers.example.org/subscribe/manage/" + "t" * 120,
    "https://papers.example.org/unsubscribe/" + "u" * 120,
    "mailto:d@example.org?subject=unsubscribe%20u",
)


def _render(digest: Digest):
    return render_digest(
        digest,
        links=LINKS,
        sender="paperfeed <d@example.org>",
        msg_id="<digest.x@example.org>",
        when=datetime(2026, 11, 3, 7, tzinfo=UTC),
        domain="example.org",
    )


def test_subject_and_parts() -> None:
    digest = _digest(12)
    assert subject_for(digest) == "paperfeed: 12 papers for Tue 3 Nov"
    one = Digest(1, "r@example.org", "weekly:2026-11-03", date(2026, 11, 3), "weekly", [], digest.for_you[:1])
    assert subject_for(one) == "paperfeed: 1 paper for the week to Tue 3 Nov"
    rendered = _render(digest)
    assert rendered.message.isascii()
    msg = message_from_string(rendered.message, policy=policy.default)
    assert msg["Subject"] == "paperfeed: 12 papers for Tue 3 Nov"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "trending #1 today" in text and "https://papers.example.org/papers/2611.00004" in text
    assert "&lt;b&gt;not bold&lt;/b&gt; &amp; friends" in html and "<b>not bold" not in html  # escaped
    assert "<style" not in html and 'style="' in html  # inline CSS only
    # Long URL headers stay one line: folding them into RFC 2047 encoded words would break the links.
    (line,) = [ln for ln in rendered.message.split("\r\n") if ln.startswith("List-Unsubscribe:")]
    assert "=?" not in line and line.endswith("u" * 120 + ">")


def test_the_email_uses_the_site_accent_colour() -> None:
    """One visual identity: the digest's brand and link colour is the site's --accent (light scheme)."""
    import re

    from paperfeed.web.templating import STATIC_DIR

    css = (STATIC_DIR / "style.css").read_text(encoding="utf-8")
    accent = re.search(r"--accent:\s*(#[0-9a-fA-F]{6})", css).group(1).lower()  # the first: the light scheme
    msg = message_from_string(_render(_digest(3)).message, policy=policy.default)
    html = msg.get_body(("html",)).get_content().lower()
    brand = re.search(r'paper<span style="color:(#[0-9a-f]{6});">feed', html).group(1)
    assert brand == accent
    links = set(re.findall(r'<a href="[^"]*" style="color:(#[0-9a-f]{6});">(?:details|pdf|unsubscribe)', html))
    assert links == {accent}  # titles are dark text, as on the site; the other links are the accent
    assert "#ea580c" not in html  # the old orange


@pytest.mark.browser
def test_html_fits_360px_in_chromium(chromium: Path) -> None:
    from playwright import sync_api as playwright

    html = _render(_digest(12)).html
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 360, "height": 740})
            page.set_content(html, wait_until="load")
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            body_width = page.evaluate("document.body.scrollWidth")
            page.screenshot(path=str(ARTIFACTS / "digest-360px.png"), full_page=True)
            page.set_viewport_size({"width": 1024, "height": 900})
            page.screenshot(path=str(ARTIFACTS / "digest-1024px.png"), full_page=True)
        finally:
            browser.close()
    assert scroll_width <= 360 and body_width <= 360, (scroll_width, body_width)
    assert (ARTIFACTS / "digest-360px.png").stat().st_size > 10_000
