"""Table definitions shared by every SQL backend.

One SQLAlchemy `MetaData` describes the schema for SQLite and PostgreSQL alike;
Alembic migrations (``store/migrations``) create and evolve it. Columns use
portable types only: JSON lists are stored as text so both backends read them
the same way, and dates are ISO strings so that SQLite sorts them correctly.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# Dates are kept as ISO-8601 text ("2025-03-19") and timestamps as ISO text in UTC
# ("2025-03-19T12:00:00+00:00"): both sort lexically, on both backends.

papers = Table(
    "papers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False, index=True),
    Column("version", Integer),
    Column("title", Text, nullable=False),
    Column("abstract", Text, nullable=False, default=""),
    Column("authors", Text, nullable=False, default="[]"),  # JSON list, ordered
    Column("categories", Text, nullable=False, default="[]"),  # JSON list, primary first
    Column("primary_category", String(64), index=True),
    Column("submitted", String(10)),
    Column("updated", String(10)),
    Column("announced", String(10)),
    Column("published", String(10), index=True),  # announced or submitted or updated
    Column("abs_url", Text),
    Column("pdf_url", Text),
    Column("code_url", Text),
    Column("project_url", Text),
    Column("doi", Text),
    Column("comment", Text),
    Column("journal_ref", Text),
    Column("content_hash", String(32), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("modified_at", String(32), nullable=False),
)

paper_categories = Table(
    "paper_categories",
    metadata,
    Column("paper_id", String(64), primary_key=True),
    Column("category", String(64), primary_key=True),
    Index("ix_paper_categories_category", "category", "paper_id"),
)

paper_sources = Table(
    "paper_sources",
    metadata,
    Column("paper_id", String(64), primary_key=True),
    Column("source", String(64), primary_key=True),
    Column("first_seen", String(32), nullable=False),
    Column("last_seen", String(32), nullable=False),
)

paper_versions = Table(
    "paper_versions",
    metadata,
    Column("paper_id", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("content_hash", String(32), nullable=False),
    Column("title", Text, nullable=False),
    Column("replaced_at", String(32), nullable=False),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("value", Text, nullable=False),  # JSON
    Column("updated_at", String(32), nullable=False),
)

counters = Table(
    "counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

signals = Table(
    "signals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("paper_id", String(64), nullable=False),
    Column("source", String(32), nullable=False),  # local, huggingface, github, ...
    Column("kind", String(32), nullable=False),  # upvote, view, click, hf_upvotes, github_stars ...
    Column("value", Float, nullable=False),
    Column("observed_at", String(32), nullable=False),
    Column("actor", String(64)),
    Column("network", String(64)),
    Index("ix_signals_paper_kind_time", "paper_id", "kind", "observed_at"),
    Index("ix_signals_time", "observed_at"),
)

trending_scores = Table(
    "trending_scores",
    metadata,
    Column("window", String(16), primary_key=True),  # day, week, month
    Column("day", String(10), primary_key=True),  # the window's end date
    Column("paper_id", String(64), primary_key=True),
    Column("rank", Integer, nullable=False),
    Column("score", Float, nullable=False),
    Column("breakdown", Text, nullable=False),  # JSON: per-signal contributions
    Column("computed_at", String(32), nullable=False),
    Index("ix_trending_rank", "window", "day", "rank"),
    Index("ix_trending_score", "window", "day", "score", "paper_id"),
)

# Per-day roll-up of the signals (store/rollup.py says how a signal is folded in):
# trending sums these over a window instead of rescanning the signals.
signal_rollup = Table(
    "signal_rollup",
    metadata,
    Column("paper_id", String(64), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("source", String(32), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("bucket", String(64), primary_key=True),  # events: network prefix ('' none); totals: ''
    Column("value", Float, nullable=False),
    Index("ix_signal_rollup_day", "day"),
)

# All-time engagement per paper, kept with the roll-up: the period lists rank by it.
paper_engagement = Table(
    "paper_engagement",
    metadata,
    Column("paper_id", String(64), primary_key=True),
    Column("upvotes", Float, nullable=False),  # local upvotes + Hugging Face's running total
    Column("activity", Float, nullable=False),  # stars, comments, views, clicks (ties)
)

embeddings = Table(
    "embeddings",
    metadata,
    Column("content_hash", String(64), primary_key=True),
    Column("model", String(64), primary_key=True),
    Column("dim", Integer, nullable=False),
    Column("vector", LargeBinary, nullable=False),  # float32 little-endian
)

subscribers = Table(
    "subscribers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("status", String(16), nullable=False),  # pending, confirmed, unsubscribed
    Column("created_at", String(32), nullable=False),
    Column("confirmed_at", String(32)),
    Column("unsubscribed_at", String(32)),
    Column("frequency", String(16), nullable=False, default="daily"),  # daily, weekly, paused
    Column("weekday", Integer, nullable=False, default=0),  # 0 = Monday, for weekly
    Column("send_hour", Integer, nullable=False, default=7),
    Column("timezone", String(64), nullable=False, default="UTC"),
    Column("max_papers", Integer, nullable=False, default=10),
    Column("include_trending", Integer, nullable=False, default=1),
    Column("topics", Text, nullable=False, default="{}"),  # JSON preferences
    Column("token_version", Integer, nullable=False, default=0),  # bump to revoke links
)

subscribe_attempts = Table(
    "subscribe_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email_hash", String(64), nullable=False),
    Column("network", String(64), nullable=False),
    Column("at", String(32), nullable=False),
    Index("ix_subscribe_attempts_email", "email_hash", "at"),
    Index("ix_subscribe_attempts_network", "network", "at"),
)

sent_papers = Table(
    "sent_papers",
    metadata,
    Column("subscriber_id", Integer, primary_key=True),
    Column("paper_id", String(64), primary_key=True),
    Column("outbox_id", Integer, nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subscriber_id", Integer, nullable=False),
    Column("period", String(32), nullable=False),  # e.g. "daily:2025-11-03"
    Column("kind", String(16), nullable=False, default="digest"),  # digest, confirm
    Column("status", String(16), nullable=False),  # pending, sending, sent, failed, skipped
    Column("recipient", String(320), nullable=False),
    Column("subject", Text, nullable=False),
    Column("message", Text, nullable=False),  # the full RFC 5322 message
    Column("paper_ids", Text, nullable=False, default="[]"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", String(32), nullable=False),
    Column("claimed_by", String(64)),
    Column("claimed_until", String(32)),
    Column("last_error", Text),
    Column("created_at", String(32), nullable=False),
    Column("sent_at", String(32)),
    UniqueConstraint("subscriber_id", "period", "kind", name="uq_outbox_subscriber_period"),
    Index("ix_outbox_due", "status", "next_attempt_at"),
)
