"""What a user sees when the PostgreSQL side is wrong: one clear line, never a driver traceback."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from paperfeed.store import SchemaError, migrate, open_store_url
from paperfeed.store.postgres import (
    DatabaseUnreachable,
    PgVectorMissing,
    PostgresStore,
    normalise_url,
    postgres_engine,
)

pytestmark = pytest.mark.postgres


def test_urls_map_to_the_psycopg3_driver() -> None:
    assert normalise_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgres://u@h:6543/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"


def test_pool_and_timeouts_come_from_the_url(pg_url: str) -> None:
    engine = postgres_engine(pg_url + "&pool_size=3&statement_timeout=1500ms&lock_timeout=2s")
    try:
        assert engine.pool.size() == 3
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "1500ms"
            assert conn.exec_driver_sql("SHOW lock_timeout").scalar() == "2s"
    finally:
        engine.dispose()
    with pytest.raises(ValueError, match="pool_size"):
        postgres_engine(pg_url + "&pool_size=many")


def test_statement_timeout_stops_a_runaway_query(pg_url: str) -> None:
    engine = postgres_engine(pg_url + "&statement_timeout=200ms")
    try:
        with engine.connect() as conn, pytest.raises(Exception, match="statement timeout"):
            conn.exec_driver_sql("SELECT pg_sleep(5)")
    finally:
        engine.dispose()


def test_unreachable_server_names_host_and_port(tmp_path) -> None:
    url = f"postgresql://postgres@/paperfeed?host={tmp_path / 'nowhere'}&port=5433"
    with pytest.raises(DatabaseUnreachable, match=rf"cannot reach PostgreSQL at {tmp_path / 'nowhere'}:5433: "):
        open_store_url(url)


def test_schema_behind_is_a_schema_error(pg_server) -> None:
    url = pg_server.create_database(template=None)  # an empty database: nothing migrated
    try:
        with pytest.raises(SchemaError, match="paperfeed migrate"):
            open_store_url(url, migrate=False)
        store = open_store_url(url)  # with migration allowed, the same database just works
        assert isinstance(store, PostgresStore)
        assert store.has_pgvector()
        assert migrate.is_up_to_date(store.engine)
        store.close()
    finally:
        pg_server.drop_database(url)


def test_missing_pgvector_is_named(pg_server) -> None:
    pg_server.execute("DROP ROLE IF EXISTS pf_limited")
    pg_server.execute("CREATE ROLE pf_limited LOGIN NOSUPERUSER")
    name = "no_vector_db"
    pg_server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    pg_server.execute(f'CREATE DATABASE "{name}" OWNER pf_limited TEMPLATE template0')
    url = make_url(pg_server.url_for(name)).set(username="pf_limited").render_as_string(hide_password=False)
    try:
        with pytest.raises(PgVectorMissing, match=f"the pgvector extension is not installed in database {name}: "):
            open_store_url(url)
    finally:
        pg_server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        pg_server.execute("DROP ROLE IF EXISTS pf_limited")


def test_single_migration_head() -> None:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(migrate.alembic_config()).get_heads()
    assert len(heads) == 1, f"migrations have several heads {heads}: chain the newest revision after the others"


def test_advisory_lock_admits_one_holder(pg_url: str) -> None:
    a = open_store_url(pg_url, migrate=False)
    b = open_store_url(pg_url, migrate=False)
    try:
        with a.advisory_lock("refresh:index") as got_a:
            assert got_a
            with b.advisory_lock("refresh:index", wait=False) as got_b:
                assert not got_b
            with b.advisory_lock("refresh:other", wait=False) as got_other:
                assert got_other
        with b.advisory_lock("refresh:index", wait=False) as got_b:
            assert got_b
    finally:
        a.close()
        b.close()


def test_servers_never_migrate_a_postgres_schema_on_their_own(pg_server, tmp_path) -> None:
    from paperfeed.app import open_paperfeed
    from paperfeed.config import Settings

    url = pg_server.create_database(template=None)
    settings = Settings(data_dir=tmp_path / "data", database_url=url, embedder="none")
    try:
        with pytest.raises(SchemaError, match="run `paperfeed migrate`"):
            open_paperfeed(settings)
        open_paperfeed(settings, migrate=True).close()  # what `paperfeed migrate` / `serve --migrate` do
        open_paperfeed(settings).close()
    finally:
        pg_server.drop_database(url)
