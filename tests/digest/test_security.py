"""Links, rate limits, privacy of the subscribe answer, and header injection."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from conftest import SECRET, add_subscribers, csrf_from
from paperfeed.digest import tokens
from paperfeed.digest.outbox import MailContext, compose_due
from paperfeed.digest.render import build_message
from paperfeed.digest.scheduler import send_pass
from paperfeed.web.app import create_app

NOW = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)


@pytest.fixture
def client(dpf):
    return TestClient(create_app(dpf))


def _manage_token(dpf, email: str) -> str:
    sub = dpf.store.get_subscriber_by_email(email)
    return tokens.make_token(SECRET, "manage", sub.id, sub.token_version, sub.email)


def test_forged_wrong_purpose_expired_and_revoked_tokens_are_refused(dpf, client) -> None:
    add_subscribers(dpf, 1)
    sub = dpf.store.get_subscriber_by_email("reader0@example.org")
    good = tokens.make_token(SECRET, "manage", sub.id, sub.token_version, sub.email)
    assert client.get(f"/subscribe/manage/{good}").status_code == 200
    forged = good[:-2] + ("AA" if good[-2:] != "AA" else "BB")
    other_key = tokens.make_token("not-the-server-key", "manage", sub.id, sub.token_version, sub.email)
    wrong_purpose = tokens.make_token(SECRET, "confirm", sub.id, sub.token_version, sub.email)
    old = time.time() - tokens.MAX_AGE_S["manage"] - 60
    expired = tokens.make_token(SECRET, "manage", sub.id, sub.token_version, sub.email, now=old)
    for bad in (forged, other_key, wrong_purpose, expired, "x" * 600):
        r = client.get(f"/subscribe/manage/{bad}")
        assert r.status_code == 403 and sub.email not in r.text
    assert "expired" in client.get(f"/subscribe/manage/{expired}").text
    unsub = tokens.make_token(SECRET, "unsubscribe", sub.id, sub.token_version, sub.email)
    assert client.post(f"/unsubscribe/{unsub}", data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert client.get(f"/subscribe/manage/{good}").status_code == 403  # revoked by unsubscribing
    assert client.post(f"/unsubscribe/{forged}", data={"List-Unsubscribe": "One-Click"}).status_code == 403


def test_one_click_needs_the_rfc8058_body(dpf, client) -> None:
    add_subscribers(dpf, 1)
    sub = dpf.store.get_subscriber_by_email("reader0@example.org")
    unsub = tokens.make_token(SECRET, "unsubscribe", sub.id, sub.token_version, sub.email)
    assert client.post(f"/unsubscribe/{unsub}", data={}).status_code == 400
    assert dpf.store.get_subscriber(sub.id).status == "confirmed"


def test_a_manage_link_reads_and_changes_only_its_own_subscriber(dpf, client) -> None:
    add_subscribers(dpf, 2)
    a, b = _manage_token(dpf, "reader0@example.org"), _manage_token(dpf, "reader1@example.org")
    page = client.get(f"/subscribe/manage/{a}")
    assert "reader0@example.org" in page.text and "reader1@example.org" not in page.text
    assert client.get(f"/api/v1/subscription/{a}").json()["email"] == "reader0@example.org"
    r = client.put(f"/api/v1/subscription/{a}", json={"max_papers": 3, "topics": {"queries": ["mine"]}})
    assert r.status_code == 200
    subs = {s.email: s for s in (dpf.store.get_subscriber_by_email(f"reader{i}@example.org") for i in (0, 1))}
    assert subs["reader0@example.org"].max_papers == 3
    assert subs["reader1@example.org"].max_papers == 10 and subs["reader1@example.org"].topics != {"queries": ["mine"]}
    # The token names its subscriber inside the signature: changing the id breaks it.
    import base64
    import json

    payload = a.split(".")[0]
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["s"] = subs["reader1@example.org"].id
    swapped = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")
    assert client.get(f"/api/v1/subscription/{swapped}.{a.split('.', 1)[1]}").status_code == 403
    # Export and delete act on the link's subscriber only.
    assert client.get(f"/subscribe/manage/{a}/export").json()["email"] == "reader0@example.org"
    page = client.get(f"/subscribe/manage/{a}")
    assert client.post(f"/subscribe/manage/{a}/delete", data={"csrf_token": csrf_from(page.text)}).status_code == 200
    assert dpf.store.get_subscriber_by_email("reader0@example.org") is None
    assert dpf.store.get_subscriber_by_email("reader1@example.org") is not None
    assert client.get(f"/subscribe/manage/{b}").status_code == 200


def test_forms_need_the_csrf_token(dpf, client) -> None:
    add_subscribers(dpf, 1)
    a = _manage_token(dpf, "reader0@example.org")
    assert client.post("/subscribe", data={"email": "x@example.org"}).status_code == 403
    assert client.post(f"/subscribe/manage/{a}", data={"max_papers": "2"}).status_code == 403
    assert client.post(f"/subscribe/manage/{a}/delete", data={}).status_code == 403
    assert dpf.store.get_subscriber_by_email("reader0@example.org").max_papers == 10


def test_subscribe_cannot_mail_bomb_an_address(dpf, sink, client) -> None:
    answers = {client.post("/api/v1/subscribe", json={"email": "victim@example.org"}).text for _ in range(12)}
    assert len(answers) == 1  # the same answer every time, limited or not
    send_pass(dpf)
    to_victim = [m for m in sink.messages() if str(m["To"]) == "victim@example.org"]
    assert len(to_victim) == 3  # the per-address limit (3 a day), not 12


def test_network_limit_answers_429(dpf, client) -> None:
    codes = [client.post("/api/v1/subscribe", json={"email": f"u{i}@example.org"}).status_code for i in range(22)]
    assert codes[:20] == [202] * 20 and codes[20:] == [429, 429]


def test_the_answer_never_reveals_whether_an_address_is_subscribed(dpf, sink, client) -> None:
    add_subscribers(dpf, 1)  # reader0 is confirmed
    client.post("/api/v1/subscribe", json={"email": "pending@example.org"})
    sub = dpf.store.get_subscriber_by_email("pending@example.org")
    assert sub.status == "pending"
    answers = {
        email: client.post("/api/v1/subscribe", json={"email": email})
        for email in ("new@example.org", "pending@example.org", "reader0@example.org")
    }
    assert len({(r.status_code, r.text) for r in answers.values()}) == 1
    token = csrf_from(client.get("/").text)
    pages = {client.post("/subscribe", data={"email": e, "csrf_token": token}).text for e in answers}
    # Each page carries a fresh, time-stamped CSRF token for its own form: equal apart from that.
    assert len({page.replace(csrf_from(page), "TOKEN") for page in pages}) == 1
    send_pass(dpf)
    kinds = {(str(m["To"]), m["Subject"]) for m in sink.messages()}
    # The confirmed address is told it is already subscribed; only confirmations go to the others.
    assert ("reader0@example.org", "Your paperfeed subscription") in kinds
    assert all(s == "Confirm your paperfeed subscription" for to, s in kinds if to != "reader0@example.org")


def test_nothing_but_confirmation_goes_to_an_unconfirmed_address(dpf, sink) -> None:
    sub = dpf.store.create_subscriber("pending@example.org", "2026-11-01T00:00:00+00:00")
    dpf.store.update_subscriber(sub.id, topics={"queries": ["diffusion models"]})
    ctx = MailContext.from_settings(dpf.settings)
    assert compose_due(dpf.store, dpf.search, None, ctx, NOW).due == 0
    # Even a digest row that got into the outbox somehow is not sent to a pending address.
    dpf.store.add_outbox(
        {
            "subscriber_id": sub.id,
            "period": "daily:2026-11-03",
            "kind": "digest",
            "status": "pending",
            "recipient": sub.email,
            "subject": "x",
            "message": "Subject: x\r\n\r\nx",
            "paper_ids": [],
            "created_at": "2026-11-03T08:00:00+00:00",
            "next_attempt_at": "2026-11-03T08:00:00+00:00",
        }
    )
    report = send_pass(dpf, NOW)
    assert (report.sent, report.skipped) == (0, 1) and sink.messages() == []


@pytest.mark.parametrize(
    "evil", ["a@example.org\r\nBcc: evil@example.org", "a@example.org\nBcc: x@y.org", "a@example.org\rX: y"]
)
def test_crlf_in_the_address_is_refused(client, evil: str) -> None:
    r = client.post("/api/v1/subscribe", json={"email": evil})
    assert r.status_code == 400 and r.json()["error"]["param"] == "email"


def test_crlf_in_topics_is_refused_and_never_reaches_a_header(dpf, sink, client) -> None:
    add_subscribers(dpf, 1)
    a = _manage_token(dpf, "reader0@example.org")
    r = client.put(f"/api/v1/subscription/{a}", json={"topics": {"queries": ["diffusion\r\nBcc: evil@example.org"]}})
    assert r.status_code == 400 and r.json()["error"]["param"] == "queries"
    # Stored anyway (bypassing validation, as an old row might be): it only reaches the body.
    sub = dpf.store.get_subscriber_by_email("reader0@example.org")
    dpf.store.update_subscriber(sub.id, topics={"queries": ["diffusion\r\nBcc: evil@example.org\r\n\r\nmodels"]})
    compose_due(dpf.store, dpf.search, None, MailContext.from_settings(dpf.settings), NOW)
    send_pass(dpf, NOW)
    (msg,) = sink.messages()
    assert msg["Bcc"] is None and [str(t) for t in msg.get_all("To")] == ["reader0@example.org"]
    assert set(msg.keys()) == {
        "X-Envelope-To",
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "MIME-Version",
        "List-Id",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "Auto-Submitted",
        "Precedence",
        "Content-Type",
    }


@pytest.mark.parametrize("field", ["subject", "recipient", "sender", "msg_id"])
def test_build_message_refuses_crlf_in_any_header(field: str) -> None:
    args = {
        "sender": "paperfeed <d@example.org>",
        "recipient": "a@example.org",
        "subject": "hello",
        "msg_id": "<x@example.org>",
    }
    args[field] = (
        args[field].replace("@", "@\r\nBcc: evil@example.org\r\nX: ", 1)
        if "@" in args[field]
        else (args[field] + "\r\nBcc: evil@example.org")
    )
    with pytest.raises(ValueError):
        build_message(text="t", html=None, when=NOW, **args).as_bytes()


def test_links_of_a_deleted_subscriber_never_open_the_next_one(dpf, client) -> None:
    add_subscribers(dpf, 1, prefix="gone")
    old = _manage_token(dpf, "gone0@example.org")
    gone = dpf.store.get_subscriber_by_email("gone0@example.org")
    page = client.get(f"/subscribe/manage/{old}")
    client.post(f"/subscribe/manage/{old}/delete", data={"csrf_token": csrf_from(page.text)})
    add_subscribers(dpf, 1, prefix="next")
    new = dpf.store.get_subscriber_by_email("next0@example.org")
    assert new.id == gone.id and new.token_version == gone.token_version  # SQLite reused the id
    r = client.get(f"/subscribe/manage/{old}")
    assert r.status_code == 403 and "next0@example.org" not in r.text


def test_preference_bodies_reject_unknown_fields_and_change_nothing(dpf, client) -> None:
    """A typo or a wrapped body is a 400 naming the field, never a silent 200 that ignores it."""
    add_subscribers(dpf, 1)
    token = _manage_token(dpf, "reader0@example.org")
    before = client.get(f"/api/v1/subscription/{token}").json()
    cases = (
        ({"frequncy": "weekly"}, "frequncy"),
        ({"preferences": {"frequency": "weekly"}}, "preferences"),
        ({"frequency": "weekly", "topics": {"querys": ["x"]}}, "topics.querys"),
    )
    for body, field in cases:
        r = client.put(f"/api/v1/subscription/{token}", json=body)
        assert r.status_code == 400, body
        error = r.json()["error"]
        assert error["param"] == field and field in error["message"] and "unknown field" in error["message"]
    for raw, message in ((b"{not json", "not valid JSON"), (b"[1, 2]", "")):
        r = client.put(f"/api/v1/subscription/{token}", content=raw, headers={"content-type": "application/json"})
        assert r.status_code == 400 and r.json()["error"]["param"] == "body" and message in r.json()["error"]["message"]
    assert client.get(f"/api/v1/subscription/{token}").json() == before
    ok = client.put(f"/api/v1/subscription/{token}", json={"frequency": "weekly", "weekday": 4})
    assert ok.status_code == 200 and ok.json()["frequency"] == "weekly" and ok.json()["weekday"] == 4
    assert set(ok.json()["topics"]) == {"queries", "categories", "authors", "exclude", "liked"}
    kept = client.put(f"/api/v1/subscription/{token}", json={"frequency": None, "timezone": None, "send_hour": 9})
    assert kept.status_code == 200 and kept.json()["frequency"] == "weekly" and kept.json()["send_hour"] == 9
    r = client.post("/api/v1/subscribe", json={"email": "new@example.org", "emial": "x"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "emial"
