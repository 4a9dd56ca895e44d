"""Subscribe through the web form, confirm from the received mail, set topics, get the digest,
one-click unsubscribe: against a real SMTP server (aiosmtpd, STARTTLS + AUTH) on loopback."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from fastapi.testclient import TestClient

from conftest import csrf_from, link_in
from paperfeed.digest.scheduler import run_once, send_pass
from paperfeed.models import PaperRecord
from paperfeed.web.app import create_app

NOW = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)  # a Tuesday; default send hour is 07:00 UTC


def _by_recipient(messages):
    out: dict[str, list] = {}
    for m in messages:
        out.setdefault(str(m["To"]), []).append(m)
    return out


def test_subscribe_confirm_digest_unsubscribe(dpf, sink) -> None:
    client = TestClient(create_app(dpf))
    token = csrf_from(client.get("/").text)
    for email in ("alice@example.org", "bob@example.org", "carol@example.org"):
        r = client.post("/subscribe", data={"email": email, "csrf_token": token})
        assert r.status_code == 202, r.text
        assert "confirmation link is on its way" in r.text

    report = send_pass(dpf)  # confirmations are queued at the real time
    assert report.sent == 3
    confirms = _by_recipient(sink.messages())
    assert set(confirms) == {"alice@example.org", "bob@example.org", "carol@example.org"}
    assert all(len(v) == 1 and "Confirm" in v[0]["Subject"] for v in confirms.values())

    manage = {}
    for email in ("alice@example.org", "bob@example.org"):  # carol never confirms
        url = link_in(confirms[email][0], "/subscribe/confirm/")
        page = client.get(url)
        assert page.status_code == 200 and email in page.text
        r = client.post(url, data={"csrf_token": csrf_from(page.text)}, follow_redirects=False)
        assert r.status_code == 303
        manage[email] = r.headers["location"]
        assert client.get(manage[email]).status_code == 200

    page = client.get(manage["alice@example.org"])
    r = client.post(
        manage["alice@example.org"],
        data={
            "csrf_token": csrf_from(page.text),
            "frequency": "daily",
            "weekday": "0",
            "send_hour": "7",
            "timezone": "UTC",
            "max_papers": "5",
            "include_trending": "on",
            "queries": "diffusion models",
            "categories": "",
            "authors": "",
            "exclude": "",
            "liked": "",
        },
    )
    assert r.status_code == 200 and 'id="saved"' in r.text
    page = client.get(manage["bob@example.org"])
    r = client.post(
        manage["bob@example.org"],
        data={
            "csrf_token": csrf_from(page.text),
            "frequency": "daily",
            "weekday": "0",
            "send_hour": "7",
            "timezone": "Europe/Berlin",
            "max_papers": "4",
            "queries": "",
            "categories": "cs.RO",
            "authors": "Grace Hopper",
            "exclude": "",
            "liked": "",
        },
    )
    assert r.status_code == 200 and 'id="saved"' in r.text

    before = len(sink.messages())
    run = run_once(dpf, NOW)
    assert run.compose.composed == 2 and run.send.sent == 2
    digests = _by_recipient(sink.messages()[before:])
    assert set(digests) == {"alice@example.org", "bob@example.org"}  # carol is unconfirmed: nothing
    for (msg,) in digests.values():
        assert re.fullmatch(r"paperfeed: \d+ papers? for Tue 3 Nov", msg["Subject"]), msg["Subject"]
        assert re.fullmatch(r"<digest\.[0-9a-f]{24}@paperfeed\.test>", msg["Message-ID"])
        assert msg["List-Id"] == "paperfeed digest <digest.paperfeed.test>"
        unsub = msg["List-Unsubscribe"]
        assert "<mailto:digest@paperfeed.test?subject=unsubscribe%20" in unsub
        assert "<http://testserver/unsubscribe/" in unsub
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert msg.get_content_type() == "multipart/alternative"
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        assert "http://testserver/papers/" in text and "<table" in html
        assert "/subscribe/manage/" in text
    alice_text = digests["alice@example.org"][0].get_body(("plain",)).get_content()
    assert "matches your topic 'diffusion models'" in alice_text
    bob_text = digests["bob@example.org"][0].get_body(("plain",)).get_content()
    assert "new in cs.RO" in bob_text or "new paper by Grace Hopper" in bob_text

    # A second pass at the same time composes and sends nothing.
    again = run_once(dpf, NOW)
    assert again.compose.composed == 0 and again.send.sent == 0
    assert len(sink.messages()) == before + 2

    # One-click unsubscribe, as a mail client does it: a bare POST, no cookie, no CSRF token.
    alice_msg = digests["alice@example.org"][0]
    https_url = re.search(r"<(http://testserver/unsubscribe/[^>]+)>", alice_msg["List-Unsubscribe"]).group(1)
    bare = TestClient(create_app(dpf))
    r = bare.post(https_url, data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200 and "Unsubscribed" in r.text

    # New papers the next day: bob gets one more digest, alice nothing.
    dpf.store.upsert_papers(
        [
            PaperRecord(
                id=f"2611.9000{i}",
                title=f"Diffusion models for robot manipulation {i}",
                abstract="Denoising diffusion policies for robot manipulation.",
                authors=["Grace Hopper"],
                categories=["cs.RO"],
                announced=date(2026, 11, 4),
                source="test",
            )
            for i in range(3)
        ]
    )
    dpf.search.refresh(progress=False)
    before = len(sink.messages())
    nxt = run_once(dpf, datetime(2026, 11, 4, 8, 0, tzinfo=UTC))
    later = _by_recipient(sink.messages()[before:])
    assert set(later) == {"bob@example.org"}, nxt.as_dict()
    assert "Wed 4 Nov" in later["bob@example.org"][0]["Subject"]
    # Nothing bob saw yesterday comes again.
    first_ids = set(re.findall(r"/papers/([0-9.]+)", bob_text))
    second_ids = set(re.findall(r"/papers/([0-9.]+)", later["bob@example.org"][0].get_body(("plain",)).get_content()))
    assert first_ids and second_ids and not first_ids & second_ids
