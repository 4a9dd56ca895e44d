"""`paperfeed migrate-to`: an embedded instance copied into PostgreSQL, interrupted, resumed, verified."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.models import PaperRecord, Signal
from paperfeed.store import open_store_url
from paperfeed.store import schema as t
from paperfeed.store.copy import CopyError, copy_database, table_checksum

pytestmark = pytest.mark.postgres
runner = CliRunner()
NOW = "2025-03-05T07:00:00+00:00"


def fill(store, n: int = 120) -> None:
    """A little of everything the embedded instance holds."""
    records = [
        PaperRecord(
            id=f"2503.{i:05d}",
            title=f"Paper {i} — ünïcode",
            abstract=f"About {i}.",
            version=1 + i % 2,
            authors=[f"Author {i}", "Zoë"],
            categories=["cs.CL", "cs.LG"] if i % 2 else ["cs.CV"],
            submitted=date(2025, 3, 1 + i % 25),
            source="files",
        )
        for i in range(n)
    ]
    store.upsert_papers(records[: n // 2], checkpoint=("files:a.jsonl", {"line": n // 2}))
    store.upsert_papers(records[n // 2 :])
    store.upsert_papers([PaperRecord(id="2503.00001", title="Paper 1 revised", version=3, source="oai")])
    store.add_signals(
        [
            Signal(f"2503.{i:05d}", "local", "upvote", 1.0, datetime(2025, 3, 5, i % 24, tzinfo=UTC), actor=f"a{i}")
            for i in range(0, n, 3)
        ]
    )
    store.replace_trending("day", date(2025, 3, 5), [("2503.00003", 1, 0.75, "{}")], {"signal_id": 9}, NOW)
    store.put_embeddings("minilm", {f"h{i}": np.full(4, i / 7, np.float32) for i in range(10)})
    for i in range(7):
        sub = store.create_subscriber(f"s{i}@example.org", NOW)
        store.update_subscriber(sub.id, status="confirmed", topics={"q": [f"topic {i}"]})
        row = store.add_outbox(
            {
                "subscriber_id": sub.id,
                "period": "daily:2025-03-05",
                "kind": "digest",
                "status": "pending",
                "recipient": sub.email,
                "subject": "s",
                "message": "m",
                "paper_ids": ["2503.00003"],
                "next_attempt_at": NOW,
                "created_at": NOW,
            }
        )
        if i % 2:
            store.claim_outbox("w", NOW, "2025-03-05T08:00:00+00:00", limit=1)
            store.finish_outbox(row, "w", NOW, lambda: None)
    store.record_subscribe_attempt("e", "n", NOW, NOW, NOW)


@pytest.fixture
def source(tmp_path: Path):
    store = open_store_url(f"sqlite:///{tmp_path / 'data' / 'paperfeed.db'}")
    fill(store)
    yield store
    store.close()


def test_copy_interrupted_resumed_and_verified(source, pg_server) -> None:
    target_url = pg_server.create_database(template=None)  # empty: the copy migrates it
    from paperfeed.store import migrate
    from paperfeed.store.postgres import postgres_engine

    engine = postgres_engine(target_url)
    migrate.upgrade(engine)
    batches = []

    def die_after_three(table: str, n: int) -> None:
        batches.append((table, n))
        if len(batches) == 3:
            raise KeyboardInterrupt  # Ctrl-C in the middle of the papers

    with pytest.raises(KeyboardInterrupt):
        copy_database(source.write_engine, engine, batch_size=25, on_batch=die_after_three)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM papers")).scalar() == 75  # three committed batches
    report = copy_database(source.write_engine, engine, batch_size=25)
    assert report.resumed and report.ok, [r for r in report.tables if not r.ok]
    copied = {r.table: r for r in report.tables}
    assert copied["papers"].copied == 45 and copied["papers"].target_rows == 120
    assert copied["signals"].source_rows == 40 and copied["embeddings"].target_rows == 10
    engine.dispose()

    target = open_store_url(target_url, migrate=False)
    try:
        assert target.count_papers() == 120
        assert target.get_paper("2503.00001").title == "Paper 1 revised"
        assert [h["version"] for h in target.paper_versions("2503.00001")] == [2]
        assert target.get_checkpoint("files:a.jsonl") == {"line": 60}
        assert target.max_seq() == source.max_seq()
        assert target.stats() == source.stats()
        np.testing.assert_array_equal(target.get_embeddings("minilm", ["h3"])["h3"], np.full(4, 3 / 7, np.float32))
        assert target.trending_page("day", date(2025, 3, 5), None, 10, 0)[0][0].id == "2503.00003"
        assert target.count_subscribers() == {"confirmed": 7}
        # ids continue after the copied ones (sequences were moved past them)
        new = target.create_subscriber("new@example.org", NOW)
        assert new.id == 8
        target.add_signals([Signal("2503.00002", "local", "view", 1, datetime(2025, 3, 6, tzinfo=UTC))])
        # New papers continue the change counter instead of reusing numbers.
        target.upsert_papers([PaperRecord(id="2504.00001", title="After the move", source="x")])
        assert target.get_paper("2504.00001").seq == source.max_seq() + 1
        # The lexical index (generated column) covers the copied papers.
        from paperfeed.search.postgres import PgLexicalIndex
        from paperfeed.search.query import parse_query

        assert PgLexicalIndex(target).search(parse_query("revised"), limit=5).ids == ["2503.00001"]
    finally:
        target.close()


def test_checksum_sees_a_changed_row(source, pg_url) -> None:
    from paperfeed.store.postgres import postgres_engine

    engine = postgres_engine(pg_url)
    try:
        report = copy_database(source.write_engine, engine)
        assert report.ok and not report.resumed
        before = table_checksum(engine, t.papers)
        with engine.begin() as conn:
            conn.execute(text("UPDATE papers SET title = title || '.' WHERE id = '2503.00007'"))
        after = table_checksum(engine, t.papers)
        assert after[0] == before[0] and after[1] != before[1]
    finally:
        engine.dispose()


def test_cli_migrate_to_refuses_a_database_with_data(source, pg_url, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    result = runner.invoke(app, ["--data-dir", str(data_dir), "migrate-to", pg_url, "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["ok"] and {r["table"] for r in out["tables"]} >= {"papers", "signals", "outbox", "sent_papers"}
    again = runner.invoke(app, ["--data-dir", str(data_dir), "migrate-to", pg_url, "--json"])
    assert again.exit_code == 0 and json.loads(again.output)["resumed"]  # finished copy: verified again, no work
    other = open_store_url(pg_url, migrate=False)
    try:
        with other.write_engine.begin() as conn:
            conn.execute(text("DELETE FROM checkpoints WHERE name = 'migrate-to:progress'"))
    finally:
        other.close()
    refused = runner.invoke(app, ["--data-dir", str(data_dir), "migrate-to", pg_url])
    assert refused.exit_code == 2
    assert "already holds data" in refused.output
    with pytest.raises(CopyError):
        from paperfeed.store.postgres import postgres_engine

        engine = postgres_engine(pg_url)
        try:
            copy_database(source.write_engine, engine)
        finally:
            engine.dispose()


def test_cli_migrate_reports_revisions(pg_server) -> None:
    url = pg_server.create_database(template=None)
    first = runner.invoke(app, ["migrate", "--database-url", url, "--json"])
    assert first.exit_code == 0, first.output
    data = json.loads(first.output)
    assert data["from"] is None and data["changed"] and data["to"]
    second = runner.invoke(app, ["migrate", "--database-url", url, "--json"])
    assert json.loads(second.output)["changed"] is False
    pg_server.drop_database(url)
