"""Storage: the `Store` contract and its SQLite and PostgreSQL implementations."""

from __future__ import annotations

from paperfeed.config import Settings
from paperfeed.store.base import PaperQuery, Stats, Store

__all__ = ["PaperQuery", "SchemaError", "Stats", "Store", "open_store", "open_store_url"]


class SchemaError(RuntimeError):
    """The database schema is older than this paperfeed and auto-migration is off."""


def open_store_url(url: str, migrate: bool = True) -> Store:
    """Open (and by default migrate) the store at a SQLAlchemy URL."""
    from paperfeed.store import migrate as migrations

    if url.startswith("postgresql"):
        from paperfeed.store.postgres import PostgresStore, postgres_engine

        engine = postgres_engine(url)
        store: Store = PostgresStore(engine)
    else:
        from paperfeed.store.sqlite import SqliteStore

        sqlite_store = SqliteStore.from_url(url)
        engine = sqlite_store.write_engine
        store = sqlite_store
    if migrate:
        migrations.upgrade(engine)
    elif not migrations.is_up_to_date(engine):
        raise SchemaError(f"the database schema at {store.url} is behind this paperfeed; run `paperfeed migrate`")
    return store


def open_store(settings: Settings, migrate: bool | None = None) -> Store:
    """`migrate=None` means: migrate the embedded database, never a server's on its own.

    Several PostgreSQL clients start at once and a schema change deserves a deliberate
    step there, so they raise `SchemaError` ("run `paperfeed migrate`") instead.
    """
    url = settings.resolved_database_url
    if migrate is None:
        migrate = not url.startswith("postgres")
    return open_store_url(url, migrate=migrate)
