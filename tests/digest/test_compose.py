"""Composition: sections and reasons, never the same paper twice, empty and repeated digests skipped."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from conftest import add_subscribers
from paperfeed.digest.compose import Composer
from paperfeed.digest.outbox import MailContext, compose_due
from paperfeed.digest.scheduler import run_once
from paperfeed.models import Signal

NOW = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
DAY = date(2026, 11, 3)


def _sub(dpf, topics: dict, **prefs):
    (sid,) = add_subscribers(dpf, 1, prefix=f"c{abs(hash(str(topics))) % 10_000}-", pool=[topics])
    if prefs:
        dpf.store.update_subscriber(sid, **prefs)
    return dpf.store.get_subscriber(sid)


def _upvote(dpf, ids: list[str]) -> None:
    dpf.store.add_signals(
        [
            Signal(
                paper_id=pid,
                source="local",
                kind="upvote",
                value=1,
                actor=f"a{j}",
                network=f"n{j}",
                observed_at=datetime(2026, 11, 3, 6, j, tzinfo=UTC),
            )
            for i, pid in enumerate(ids)
            for j in range(len(ids) - i)
        ]
    )


def test_sections_and_one_line_reasons(dpf) -> None:
    # Three papers with engagement today: trending lists only papers that are rising.
    _upvote(dpf, ["2611.00030", "2611.00031", "2611.00032"])
    sub = _sub(
        dpf,
        {
            "queries": ["diffusion models"],
            "authors": ["Grace Hopper"],
            "categories": ["cs.RO"],
            "liked": ["2611.00005"],
        },
        max_papers=9,
    )
    digest = Composer(dpf.store, dpf.search, dpf.trending).compose(sub, DAY, "daily:2026-11-03", set())
    assert [i.reason for i in digest.trending][:2] == ["trending #1 today", "trending #2 today"]
    assert len(digest.trending) == 3 and len(digest) == 9  # a third of the room for trending
    reasons = " | ".join(i.reason for i in digest.for_you)
    assert "matches your topic 'diffusion models'" in reasons
    assert "new paper by Grace Hopper" in reasons or "new in cs.RO" in reasons
    assert len(set(digest.paper_ids)) == len(digest.paper_ids)
    for item in digest.for_you:  # only the period's papers
        assert date(2026, 11, 1) <= item.paper.published <= DAY
    assert "2611.00005" not in digest.paper_ids  # a liked paper is not recommended back


def test_negative_keywords_remove_papers_from_both_sections(dpf) -> None:
    sub = _sub(dpf, {"queries": ["diffusion models"], "exclude": ["diffusion"]})
    digest = Composer(dpf.store, dpf.search, dpf.trending).compose(sub, DAY, "daily:2026-11-03", set())
    assert all("diffusion" not in (i.paper.title + i.paper.abstract).lower() for i in digest.items)


def test_trending_can_be_turned_off(dpf) -> None:
    _upvote(dpf, ["2611.00030"])
    sub = _sub(dpf, {"queries": ["graph neural networks"]}, include_trending=False)
    digest = Composer(dpf.store, dpf.search, dpf.trending).compose(sub, DAY, "daily:2026-11-03", set())
    assert digest.trending == [] and digest.for_you


def test_no_paper_is_sent_twice_and_an_empty_digest_is_not_sent(dpf, sink) -> None:
    sub = _sub(dpf, {"queries": ["diffusion models"], "categories": ["cs.CV"]}, include_trending=False, max_papers=50)
    first = run_once(dpf, NOW)
    assert first.send.sent == 1
    # The next day's window overlaps (2 days back), and nothing new was published: no digest.
    second = run_once(dpf, NOW + timedelta(days=1))
    assert second.compose.empty == 1 and second.send.sent == 0
    assert len(sink.messages()) == 1
    rows = {r.period: r for r in dpf.store.list_outbox(subscriber_id=sub.id)}
    assert rows["daily:2026-11-04"].status == "skipped" and rows["daily:2026-11-04"].last_error.startswith("empty")
    sent_ids = set(rows["daily:2026-11-03"].paper_ids)
    seen, last = dpf.store.digest_history([sub.id])[sub.id]
    assert sent_ids <= seen and set(last) == sent_ids


def test_a_digest_identical_to_the_previous_one_is_skipped(dpf) -> None:
    sub = _sub(dpf, {"queries": ["speech recognition"]}, include_trending=False)
    ctx = MailContext.from_settings(dpf.settings)
    ids = Composer(dpf.store, dpf.search, None).compose(sub, DAY, "daily:2026-11-03", set()).paper_ids
    assert ids
    # A sent digest with exactly these papers whose sent-paper records are gone (e.g. restored from a backup).
    dpf.store.add_outbox(
        {
            "subscriber_id": sub.id,
            "period": "daily:2026-11-02",
            "kind": "digest",
            "status": "sent",
            "recipient": sub.email,
            "subject": "s",
            "message": "m",
            "paper_ids": ids,
            "created_at": "2026-11-02T08:00:00+00:00",
            "next_attempt_at": "2026-11-02T08:00:00+00:00",
        }
    )
    report = compose_due(dpf.store, dpf.search, None, ctx, NOW)
    assert report.repeated == 1 and report.composed == 0


def test_composed_once_however_often_the_pass_runs(dpf) -> None:
    add_subscribers(dpf, 4)
    ctx = MailContext.from_settings(dpf.settings)
    assert compose_due(dpf.store, dpf.search, None, ctx, NOW).composed == 4
    again = compose_due(dpf.store, dpf.search, None, ctx, NOW + timedelta(hours=3))
    assert again.composed == 0 and again.already == 4


def test_dst_change_through_the_real_pipeline(dpf) -> None:
    sub = _sub(dpf, {"queries": ["diffusion models"]}, timezone="America/New_York", send_hour=2)
    ctx = MailContext.from_settings(dpf.settings)
    moment = datetime(2026, 3, 7, 5, 0, tzinfo=UTC)
    while moment < datetime(2026, 3, 10, 5, 0, tzinfo=UTC):
        compose_due(dpf.store, dpf.search, None, ctx, moment)
        moment += timedelta(minutes=30)
    periods = sorted((r.period, r.created_at) for r in dpf.store.list_outbox(subscriber_id=sub.id))
    assert [p for p, _ in periods] == ["daily:2026-03-07", "daily:2026-03-08", "daily:2026-03-09"]
    assert [c for _, c in periods] == [
        "2026-03-07T07:00:00+00:00",
        "2026-03-08T07:00:00+00:00",
        "2026-03-09T06:00:00+00:00",
    ]
