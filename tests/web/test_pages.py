"""HTML pages through httpx.ASGITransport: home tabs and date navigation, search, paper, errors."""

from __future__ import annotations

import re

import httpx
import pytest
from tests.web.conftest import NEWEST_DAY

pytestmark = pytest.mark.anyio


async def test_healthz(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "papers": 11}


async def test_home_defaults_to_newest_day_with_papers(client: httpx.AsyncClient) -> None:
    r = await client.get("/")
    assert r.status_code == 200
    assert "text/html" in r.headers["content-type"]
    html = r.text
    assert "Tuesday, 14 July 2026" in html
    assert "Sparse Diffusion Transformers" in html
    assert "Diffusion Policies for Robot Manipulation" not in html.split('id="listing-title"')[1].split("</section>")[0]
    # tabs, with the current one marked
    assert re.search(r'href="/papers/date/2026-07-14" aria-current="page">Daily', html)
    assert 'href="/papers/week/2026-W29">Weekly' in html
    assert 'href="/papers/month/2026-07">Monthly' in html
    # previous day with papers; no next day past the newest; the calendar jump
    assert 'rel="prev" href="/papers/date/2026-07-13"' in html
    assert 'rel="next"' not in html.split('class="date-nav"')[1].split("</div>")[0]
    assert "Newest day" in html
    assert '<input id="jump-date" type="date" name="date" value="2026-07-14"' in html
    # skip link and subscribe box on every page
    assert 'class="skip-link" href="#main"' in html
    assert "Get trending papers in your email inbox once a day" in html


@pytest.mark.parametrize(
    ("query", "label", "present", "absent"),
    [
        (
            "period=week&date=2026-07-14",
            "Week 29 of 2026",
            "Diffusion Policies for Robot Manipulation",
            "Latent Diffusion for Video Generation",
        ),
        (
            "period=month&date=2026-06-03",
            "June 2026",
            "Latent Diffusion for Video Generation",
            "Sparse Diffusion Transformers",
        ),
        (
            "period=day&date=2026-07-13",
            "Monday, 13 July 2026",
            "Efficient Attention with Linear Complexity",
            "Sparse Diffusion Transformers",
        ),
    ],
)
async def test_period_tabs_and_dates(
    client: httpx.AsyncClient, query: str, label: str, present: str, absent: str
) -> None:
    r = await client.get("/?" + query)
    assert r.status_code == 200
    listing = r.text.split('id="listing-title"')[1].split("</section>")[0]
    assert label in r.text
    assert present in listing
    assert absent not in listing


async def test_empty_day_says_so(client: httpx.AsyncClient) -> None:
    r = await client.get("/?date=2026-07-12")
    assert r.status_code == 200
    assert "No papers were published on this day" in r.text


async def test_category_filter_on_home(client: httpx.AsyncClient) -> None:
    r = await client.get("/?period=month&date=2026-07-01&category=cs.CL")
    listing = r.text.split('id="listing-title"')[1].split("</section>")[0]
    assert "Retrieval-Augmented Language Models" in listing
    assert "Sparse Diffusion Transformers" not in listing


@pytest.mark.parametrize(
    ("query", "param"),
    [("date=2026-13-01", "date"), ("period=year", "period"), ("page=0", "page"), ("category=%3Cb%3E", "category")],
)
async def test_home_bad_params_are_400_pages(client: httpx.AsyncClient, query: str, param: str) -> None:
    r = await client.get("/?" + query)
    assert r.status_code == 400
    assert "text/html" in r.headers["content-type"]
    assert f"<code>{param}</code>" in r.text


async def test_search_page_highlights_and_explains(client: httpx.AsyncClient) -> None:
    r = await client.get("/search", params={"q": "diffusion"})
    assert r.status_code == 200
    html = r.text
    assert "<mark>" in html
    assert "Why this matched" in html
    assert "Keyword rank" in html and "Fused score" in html
    assert 'value="diffusion"' in html


async def test_search_filters(client: httpx.AsyncClient) -> None:
    # titles carry <mark> around the matched word, so look at the unhighlighted rest
    r = await client.get("/search", params={"q": "diffusion", "category": "cs.RO"})
    assert "Policies for Robot Manipulation" in r.text
    assert "Transformers for Fast Image Synthesis" not in r.text
    r = await client.get("/search", params={"q": "diffusion", "until": "2026-06-30"})
    assert "for Video Generation" in r.text
    assert "Transformers for Fast Image Synthesis" not in r.text
    r = await client.get("/search", params={"q": "diffusion", "sort": "date", "page_size": 1})
    assert 'rel="next"' in r.text


async def test_search_bad_param_is_400_with_name(client: httpx.AsyncClient) -> None:
    r = await client.get("/search", params={"q": "x", "since": "yesterday"})
    assert r.status_code == 400
    assert "<code>since</code>" in r.text
    r = await client.get("/search", params={"q": "x", "mode": "magic"})
    assert r.status_code == 400
    assert "<code>mode</code>" in r.text


async def test_paper_page(client: httpx.AsyncClient) -> None:
    r = await client.get("/papers/2607.10001")
    assert r.status_code == 200
    html = r.text
    assert '<h1 id="paper-title">Sparse Diffusion Transformers for Fast Image Synthesis</h1>' in html
    assert "Ada Lovelace" in html and "Alan Turing" in html
    for link in (
        "https://arxiv.org/abs/2607.10001",
        "https://arxiv.org/pdf/2607.10001",
        "https://github.com/example/sparse-dit",
        "https://example.org/sparse-dit",
    ):
        assert f'href="{link}"' in html
    assert "$256\\times256$" in html  # LaTeX shown as text
    assert "@misc{lovelace2026sparse," in html
    assert 'id="similar-title"' in html
    similar = html.split('id="similar-title"')[1]
    assert "Diffusion" in similar  # the other diffusion papers are its neighbours
    assert '<span class="upvote-count" id="upvote-count">7</span>' in html  # latest imported HF total
    assert 'name="csrf_token"' in html


async def test_old_style_id_and_unknown_paper(client: httpx.AsyncClient) -> None:
    r = await client.get("/papers/hep-th/9901001")
    assert r.status_code == 200
    assert "Strings on Curved Backgrounds" in r.text
    r = await client.get("/papers/9999.99999")
    assert r.status_code == 404
    assert "Paper not found" in r.text


async def test_static_assets_cached(client: httpx.AsyncClient) -> None:
    home = (await client.get("/")).text
    css = re.search(r'href="(/static/style\.css\?v=\w+)"', home).group(1)
    r = await client.get(css)
    assert r.status_code == 200
    assert "max-age=31536000" in r.headers["cache-control"]
    assert "prefers-color-scheme: dark" in r.text
    js = await client.get("/static/app.js")
    assert js.status_code == 200


async def test_gzip(client: httpx.AsyncClient) -> None:
    r = await client.get("/", headers={"Accept-Encoding": "gzip"})
    assert r.headers.get("content-encoding") == "gzip"


async def test_newest_day_used(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/daily")
    assert r.json()["start"] == NEWEST_DAY.isoformat()


async def test_hugging_face_addresses_serve_the_same_views(client: httpx.AsyncClient) -> None:
    for path, label in (
        ("/papers/date/2026-07-13", "Monday, 13 July 2026"),
        ("/papers/week/2026-W29", "Week 29 of 2026"),
        ("/papers/month/2026-06", "June 2026"),
    ):
        r = await client.get(path)
        assert r.status_code == 200, path
        assert f'id="span-label">{label}' in r.text
    same = await client.get("/?period=weekly&date=2026-07-14")  # the feeds' spelling works on pages too
    assert same.status_code == 200 and 'id="span-label">Week 29 of 2026' in same.text
    bad = await client.get("/papers/week/2026-W60")
    assert bad.status_code == 400 and "<code>week</code>" in bad.text


async def test_an_empty_day_links_to_the_nearest_days_with_papers(client: httpx.AsyncClient) -> None:
    r = await client.get("/papers/date/2026-07-12")  # a Sunday
    nav = r.text.split('class="date-nav"')[1].split("</div>")[0]
    assert 'rel="prev" href="/papers/date/2026-07-10"' in nav
    assert 'rel="next" href="/papers/date/2026-07-13"' in nav


async def test_counts_are_whole_and_plural_right(client: httpx.AsyncClient) -> None:
    one = await client.get("/papers/date/2026-07-10")
    assert "(1 paper, most upvoted first)" in one.text
    many = await client.get("/papers/week/2026-W29")
    assert "(6 papers, most upvoted first)" in many.text


async def test_the_day_list_is_ranked_by_upvotes(client: httpx.AsyncClient) -> None:
    r = await client.get("/papers/date/2026-07-14")
    listing = r.text.split('id="listing-title"')[1].split("</section>")[0]
    ids = re.findall(r'href="/papers/(\d{4}\.\d{5})"', listing)
    assert ids[:2] == ["2607.10001", "2607.10003"]  # 7 and 2 upvotes, then the rest


async def test_trending_page(client: httpx.AsyncClient) -> None:
    r = await client.get("/trending", params={"window": "month"})
    assert r.status_code == 200
    assert "Trending papers" in r.text and 'aria-current="page">Last 30 days' in r.text
    hf = await client.get("/papers/trending")
    assert hf.status_code == 200 and "Trending papers" in hf.text
    assert (await client.get("/trending", params={"window": "year"})).status_code == 400


async def test_a_seed_page_paper_is_labelled_not_given_an_arxiv_id(web_pf, client: httpx.AsyncClient) -> None:
    from paperfeed.models import PaperRecord

    web_pf.store.upsert_papers(
        [PaperRecord(id="h:1ffa96c1c37d0826d43f", title="Doubly Robust Alignment", abstract="x.", source="demo")]
    )
    r = await client.get("/papers/h:1ffa96c1c37d0826d43f")
    assert r.status_code == 200
    assert "arXiv id" not in r.text
    assert "no arXiv record matched this title" in r.text
    assert "author = " not in r.text and "Unknown" not in r.text  # BibTeX without a made-up author
    web_pf.search.refresh(progress=False)
    found = await client.get("/search", params={"q": "doubly robust alignment"})
    assert "seed page, no arXiv record" in found.text  # its search card says so too
