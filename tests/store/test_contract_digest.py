"""The digest section of the `Store` contract (subscribers, outbox leases, sent papers) on both backends."""

from __future__ import annotations

import pytest

from paperfeed.store import Store

NOW = "2025-03-05T07:00:00+00:00"
LATER = "2025-03-05T07:10:00+00:00"


def outbox(subscriber_id: int, period: str = "daily:2025-03-05", kind: str = "digest", **extra) -> dict:
    row = {
        "subscriber_id": subscriber_id,
        "period": period,
        "kind": kind,
        "status": "pending",
        "recipient": f"s{subscriber_id}@example.org",
        "subject": "Your papers",
        "message": "From: x\r\n\r\nbody",
        "paper_ids": ["2503.00001", "2503.00002"],
        "next_attempt_at": NOW,
        "created_at": NOW,
    }
    row.update(extra)
    return row


def test_subscribers(store_backend: Store) -> None:
    s = store_backend
    a = s.create_subscriber("a@example.org", NOW)
    assert (a.status, a.frequency, a.topics) == ("pending", "daily", {})
    assert s.create_subscriber("a@example.org", LATER).id == a.id  # idempotent
    assert s.update_subscriber(a.id, status="confirmed", topics={"q": ["diffusion"]}, include_trending=False)
    got = s.get_subscriber_by_email("a@example.org")
    assert (got.status, got.topics, got.include_trending) == ("confirmed", {"q": ["diffusion"]}, False)
    with pytest.raises(ValueError, match="unknown subscriber field"):
        s.update_subscriber(a.id, email="b@example.org")
    b = s.create_subscriber("b@example.org", NOW)
    assert [x.id for x in s.active_subscribers()] == [a.id]
    assert s.count_subscribers() == {"confirmed": 1, "pending": 1}
    assert s.delete_subscriber(b.id) and s.get_subscriber(b.id) is None
    assert not s.update_subscriber(b.id, status="confirmed")


def test_subscribe_attempts_are_counted_atomically(store_backend: Store) -> None:
    s = store_backend
    assert s.record_subscribe_attempt("e1", "n1", NOW, "2025-03-05T00:00:00", "2025-03-05T00:00:00") == (0, 0)
    assert s.record_subscribe_attempt("e1", "n1", LATER, "2025-03-05T00:00:00", "2025-03-05T00:00:00") == (1, 1)
    assert s.record_subscribe_attempt("e2", "n1", LATER, "2025-03-05T00:00:00", "2025-03-05T00:00:00") == (0, 2)


def test_outbox_is_unique_per_subscriber_period_kind(store_backend: Store) -> None:
    s = store_backend
    sub = s.create_subscriber("a@example.org", NOW)
    first = s.add_outbox(outbox(sub.id))
    assert first is not None
    assert s.add_outbox(outbox(sub.id)) is None  # composed twice (two workers): stored once
    assert s.add_outbox(outbox(sub.id, kind="confirm")) is not None
    assert s.outbox_keys("digest", ["daily:2025-03-05", "daily:2025-03-06"]) == {(sub.id, "daily:2025-03-05")}
    assert [r.kind for r in s.list_outbox(sub.id)] == ["confirm", "digest"]  # newest first


def test_claim_finish_and_sent_papers(store_backend: Store) -> None:
    s = store_backend
    sub = s.create_subscriber("a@example.org", NOW)
    digest_id = s.add_outbox(outbox(sub.id))
    confirm_id = s.add_outbox(outbox(sub.id, kind="confirm", paper_ids=[]))
    s.add_outbox(outbox(sub.id, period="daily:2025-03-06", next_attempt_at="2025-03-06T07:00:00+00:00"))
    claimed = s.claim_outbox("w1", NOW, LATER, limit=10)
    assert [r.id for r in claimed] == sorted([digest_id, confirm_id])  # the future row is not due
    assert s.claim_outbox("w2", NOW, LATER, limit=10) == []  # leased to w1
    assert s.active_claims(NOW) == ["w1"]

    sent: list[int] = []
    assert s.finish_outbox(digest_id, "w1", NOW, lambda: sent.append(digest_id))
    assert not s.finish_outbox(digest_id, "w2", NOW, lambda: sent.append(-1))  # not w2's claim
    assert sent == [digest_id]
    row = s.get_outbox(digest_id)
    assert (row.status, row.attempts, row.claimed_by) == ("sent", 1, None)
    seen, last = s.digest_history([sub.id])[sub.id]
    assert {"2503.00001", "2503.00002"} <= seen and last == ["2503.00001", "2503.00002"]

    def boom() -> None:
        raise OSError("smtp down")

    with pytest.raises(OSError):
        s.finish_outbox(confirm_id, "w1", NOW, boom)
    assert s.get_outbox(confirm_id).status == "pending"  # nothing kept when delivery failed
    assert s.release_outbox(confirm_id, "w1", status="pending", attempts=1, next_attempt_at=NOW, error="smtp down")
    again = s.claim_outbox("w3", NOW, LATER, limit=10)
    assert [r.id for r in again] == [confirm_id] and again[0].last_error == "smtp down"


def test_expired_or_released_leases_are_claimable_again(store_backend: Store) -> None:
    s = store_backend
    sub = s.create_subscriber("a@example.org", NOW)
    row_id = s.add_outbox(outbox(sub.id))
    assert [r.id for r in s.claim_outbox("dead", NOW, LATER, limit=5)] == [row_id]
    assert s.claim_outbox("w2", NOW, LATER, limit=5) == []
    assert [r.id for r in s.claim_outbox("w2", "2025-03-05T07:11:00+00:00", "2025-03-05T07:20:00", 5)] == [row_id]
    assert s.release_claims(["w2"]) == 1
    assert [r.id for r in s.claim_outbox("w3", NOW, LATER, limit=5)] == [row_id]
    assert s.skip_pending_outbox(sub.id) == 1
    assert s.get_outbox(row_id).status == "skipped"
    assert s.claim_outbox("w4", "2025-03-06T00:00:00", "2025-03-06T01:00:00", limit=5) == []
    summary = s.outbox_summary()
    assert summary == [("2025-03-05", "digest", "skipped", 1)]
