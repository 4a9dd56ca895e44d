"""PostgreSQL search: pgvector, weighted tsvector on papers, paper vectors with HNSW

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 06:20:00

PostgreSQL only; a no-op on SQLite (whose search lives in index files). Bounded
VARCHAR columns become TEXT, as SQLite treats them. Title
(weight A), abstract (B) and authors (C) feed one generated ``tsvector`` column,
so the lexical index is always exactly as current as the papers table and costs
no separate write. Vectors live in ``paper_vectors`` with an HNSW index over
cosine distance; `paperfeed.search.postgres` resizes the column if the
embedder's dimension differs from the default 384 (all-MiniLM-L6-v2).
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TSVECTOR = (
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(abstract, '')), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, coalesce(authors, '')), 'C')"
)


def _ensure_pgvector(bind: sa.Connection) -> None:
    if bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'vector'")).scalar():
        return
    from paperfeed.store.postgres import PgVectorMissing

    database = bind.execute(sa.text("SELECT current_database()")).scalar()
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS vector"))
    except sa.exc.DBAPIError as exc:
        detail = " ".join(str(exc.orig).split())
        raise PgVectorMissing(
            f"the pgvector extension is not installed in database {database}: {detail} "
            "(install pgvector on the server, then run `CREATE EXTENSION vector;` in that database as a superuser)"
        ) from None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    _ensure_pgvector(bind)
    # SQLite ignores VARCHAR lengths; PostgreSQL enforces them. Text columns without a limit make
    # the server accept exactly what the embedded store accepts (a 70-character category from a
    # messy listing, a long DOI id) instead of failing a whole batch. varchar -> text is
    # binary-compatible: no table rewrite, no index rebuild.
    bounded = bind.execute(
        sa.text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = 'character varying' "
            "AND table_name <> 'alembic_version' ORDER BY table_name, ordinal_position"
        )
    ).all()
    for table, column in bounded:
        op.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE text')
    op.execute(f"ALTER TABLE papers ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS ({TSVECTOR}) STORED")
    op.execute("CREATE INDEX ix_papers_search_tsv ON papers USING gin (search_tsv)")
    # ANALYZE then records the frequencies of ~10,000 common lexemes: the keyword ranking's idf.
    op.execute("ALTER TABLE papers ALTER COLUMN search_tsv SET STATISTICS 1000")
    # Search filters compare categories case-insensitively (cat:cs.cv finds cs.CV).
    op.execute("CREATE INDEX ix_paper_categories_lower ON paper_categories (lower(category), paper_id)")
    op.execute("CREATE TABLE paper_vectors ( paper_id varchar(64) PRIMARY KEY, embedding vector(384) NOT NULL)")
    op.execute(
        "CREATE INDEX ix_paper_vectors_hnsw ON paper_vectors USING hnsw (embedding vector_cosine_ops)"
        " WITH (m = 16, ef_construction = 64)"
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("DROP TABLE IF EXISTS paper_vectors")
    op.execute("DROP INDEX IF EXISTS ix_paper_categories_lower")
    op.execute("DROP INDEX IF EXISTS ix_papers_search_tsv")
    op.execute("ALTER TABLE papers DROP COLUMN IF EXISTS search_tsv")
