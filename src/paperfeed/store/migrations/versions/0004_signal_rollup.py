"""Trending right now: per-day signal roll-ups, per-paper engagement, lists served by score

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 17:45:00

``signal_rollup`` holds each paper's signals summed per day (and network
prefix, for the anti-gaming damping); ``paper_engagement`` its all-time
upvotes and other activity. Both are derived: they start empty and the first
roll-up reads every stored signal once (its position is the
``signals:rollup`` checkpoint). Materialised trending lists were computed
"as of" a day with the old rules; they are dropped and rebuilt on demand,
now patched per paper and served in score order (``ix_trending_score``).
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signal_rollup",
        sa.Column("paper_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("bucket", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("paper_id", "kind", "source", "day", "bucket"),
    )
    op.create_index("ix_signal_rollup_day", "signal_rollup", ["day"])
    op.create_table(
        "paper_engagement",
        sa.Column("paper_id", sa.String(length=64), nullable=False),
        sa.Column("upvotes", sa.Float(), nullable=False),
        sa.Column("activity", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("paper_id"),
    )
    op.execute("DELETE FROM trending_scores")
    op.execute("DELETE FROM checkpoints WHERE name IN ('trending:refresh', 'signals:rollup')")
    op.create_index("ix_trending_score", "trending_scores", ["window", "day", "score", "paper_id"])


def downgrade() -> None:
    op.drop_index("ix_trending_score", table_name="trending_scores")
    op.drop_table("paper_engagement")
    op.drop_index("ix_signal_rollup_day", table_name="signal_rollup")
    op.drop_table("signal_rollup")
