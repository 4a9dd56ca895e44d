"""The digest section of the Store contract, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import threading

import pytest

T0 = "2026-11-03T08:00:00+00:00"
T1 = "2026-11-03T08:15:00+00:00"
LATER = "2026-11-03T09:00:00+00:00"


def _row(sid: int, period: str, email: str, papers: list[str]) -> dict:
    return {
        "subscriber_id": sid,
        "period": period,
        "kind": "digest",
        "status": "pending",
        "recipient": email,
        "subject": "s",
        "message": "m",
        "paper_ids": papers,
        "created_at": T0,
        "next_attempt_at": T0,
    }


def test_subscribers_and_attempts(store_backend) -> None:
    store = store_backend
    a = store.create_subscriber("a@example.org", T0)
    assert store.create_subscriber("a@example.org", T1).id == a.id and a.status == "pending"
    assert store.update_subscriber(a.id, status="confirmed", topics={"queries": ["x"]}, include_trending=False)
    got = store.get_subscriber(a.id)
    assert (got.status, got.topics, got.include_trending) == ("confirmed", {"queries": ["x"]}, False)
    with pytest.raises(ValueError, match="email"):
        store.update_subscriber(a.id, email="other@example.org")
    assert [s.id for s in store.active_subscribers()] == [a.id]
    counts = [store.record_subscribe_attempt("h", "n", T0, "2026-11-02T08:00:00+00:00", T0) for _ in range(3)]
    assert counts == [(0, 0), (1, 1), (2, 2)]
    assert store.record_subscribe_attempt("h", "n2", LATER, "2026-11-02T09:00:00+00:00", LATER) == (3, 0)


def test_outbox_unique_claims_finish_and_release(store_backend) -> None:
    store = store_backend
    subs = [store.create_subscriber(f"r{i}@example.org", T0) for i in range(6)]
    ids = [store.add_outbox(_row(s.id, "daily:2026-11-03", s.email, [f"p{s.id}", "shared"])) for s in subs]
    assert all(ids) and store.add_outbox(_row(subs[0].id, "daily:2026-11-03", subs[0].email, [])) is None
    assert (
        store.add_outbox_many(
            [
                _row(subs[0].id, "daily:2026-11-03", subs[0].email, []),
                _row(subs[0].id, "daily:2026-11-04", subs[0].email, []),
            ]
        )
        == 1
    )
    assert store.outbox_keys("digest", ["daily:2026-11-03"]) == {(s.id, "daily:2026-11-03") for s in subs}

    first = store.claim_outbox("w1", T0, T1, 4)
    second = store.claim_outbox("w2", T0, T1, 10)
    assert len(first) == 4 and len(second) == 3 and not {r.id for r in first} & {r.id for r in second}
    assert store.claim_outbox("w3", T0, T1, 10) == []  # all leased

    delivered = []
    assert store.finish_outbox(first[0].id, "w1", T0, lambda: delivered.append(1))
    assert not store.finish_outbox(first[0].id, "w1", T0, lambda: delivered.append(2))  # already sent
    assert not store.finish_outbox(second[0].id, "w1", T0, lambda: delivered.append(3))  # not our claim
    assert delivered == [1]

    def refused() -> None:
        raise RuntimeError("server said 451")

    with pytest.raises(RuntimeError):
        store.finish_outbox(first[1].id, "w1", T0, refused)
    assert store.get_outbox(first[1].id).status == "pending"  # rolled back
    seen, last = store.digest_history([first[1].subscriber_id])[first[1].subscriber_id]
    assert last is None and seen == {f"p{first[1].subscriber_id}", "shared"}  # pending papers count as taken

    assert store.release_outbox(first[1].id, "w1", status="pending", attempts=1, next_attempt_at=T1, error="451")
    assert store.release_outbox(first[2].id, "w1", status="failed", attempts=1, next_attempt_at=T0, error="550")
    assert store.release_claims(["w2"]) == 3
    again = store.claim_outbox("w4", T0, T1, 10)
    assert {r.id for r in again} == {r.id for r in second}  # released, due; the 451 one waits for T1
    later = store.claim_outbox("w5", LATER, "2026-11-03T10:00:00+00:00", 10)
    assert first[1].id in {r.id for r in later} and first[3].id in {r.id for r in later}  # lease of w1 ran out

    sid = first[0].subscriber_id
    seen, last = store.digest_history([sid])[sid]
    assert set(last) == {f"p{sid}", "shared"} and seen == set(last)
    summary = store.outbox_summary()
    assert {(k, s) for _, k, s, _ in summary} >= {("digest", "sent"), ("digest", "failed"), ("digest", "pending")}
    assert store.skip_pending_outbox(subs[0].id) >= 0
    assert store.delete_subscriber(sid) and store.get_subscriber(sid) is None
    assert store.list_outbox(subscriber_id=sid) == []


def test_concurrent_claimers_never_share_a_row(store_backend) -> None:
    store = store_backend
    rows = [_row(i + 1, "daily:2026-11-03", f"c{i}@example.org", []) for i in range(60)]
    assert store.add_outbox_many(rows) == 60
    got: dict[str, list[int]] = {}

    def claimer(name: str) -> None:
        mine = []
        while batch := store.claim_outbox(name, T0, T1, 3):
            for r in batch:
                mine.append(r.id)
                store.finish_outbox(r.id, name, T0, lambda: None)
        got[name] = mine

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    claimed = [i for ids in got.values() for i in ids]
    assert len(claimed) == 60 and len(set(claimed)) == 60
