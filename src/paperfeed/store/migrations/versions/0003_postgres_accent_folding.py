"""PostgreSQL search: fold accents, as the embedded index does

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 08:40:00

The embedded keyword index folds accents (tantivy's ASCII folding), so
``au:Godel`` finds Gödel and "Schrodinger" finds "Schrödinger". PostgreSQL's
``english`` and ``simple`` configurations do not. Two configurations of our own,
``paperfeed_english`` and ``paperfeed_simple``, put the ``unaccent`` dictionary
in front of the usual ones; the generated ``search_tsv`` column and every query
use them, so both sides of a match are folded alike.

Without the ``unaccent`` extension on the server (it ships with PostgreSQL's
contrib, so this is rare) the two configurations are plain copies and search
works as before, without folding. The column is rebuilt: on a large table this
migration rewrites ``papers`` once (measured in docs/benchmarks.md).
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

WORD_TOKENS = "asciiword, asciihword, hword_asciipart, word, hword, hword_part"


def _tsvector(english: str, simple: str) -> str:
    return (
        f"setweight(to_tsvector('{english}'::regconfig, coalesce(title, '')), 'A') || "
        f"setweight(to_tsvector('{english}'::regconfig, coalesce(abstract, '')), 'B') || "
        f"setweight(to_tsvector('{simple}'::regconfig, coalesce(authors, '')), 'C')"
    )


def _has_unaccent(bind: sa.Connection) -> bool:
    if bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'unaccent'")).scalar():
        return True
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS unaccent"))
        return True
    except sa.exc.DBAPIError:
        return False


def _rebuild_column(expression: str) -> None:
    op.execute("DROP INDEX IF EXISTS ix_papers_search_tsv")
    op.execute("ALTER TABLE papers DROP COLUMN IF EXISTS search_tsv")
    op.execute(f"ALTER TABLE papers ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS ({expression}) STORED")
    op.execute("CREATE INDEX ix_papers_search_tsv ON papers USING gin (search_tsv)")
    op.execute("ALTER TABLE papers ALTER COLUMN search_tsv SET STATISTICS 1000")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    bind.execute(sa.text("SET LOCAL statement_timeout = 0"))
    bind.execute(sa.text("SET LOCAL maintenance_work_mem = '256MB'"))
    folding = _has_unaccent(bind)
    for name, base, stem in (
        ("paperfeed_english", "english", "english_stem"),
        ("paperfeed_simple", "simple", "simple"),
    ):
        op.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {name}")
        op.execute(f"CREATE TEXT SEARCH CONFIGURATION {name} (COPY = pg_catalog.{base})")
        if folding:
            op.execute(f"ALTER TEXT SEARCH CONFIGURATION {name} ALTER MAPPING FOR {WORD_TOKENS} WITH unaccent, {stem}")
    _rebuild_column(_tsvector("paperfeed_english", "paperfeed_simple"))
    op.execute("ANALYZE papers")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    bind.execute(sa.text("SET LOCAL statement_timeout = 0"))
    _rebuild_column(_tsvector("english", "simple"))
    op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS paperfeed_english")
    op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS paperfeed_simple")
