"""Where the bench keeps its data: its own database and Redis prefix, never the real ones.

`configure` must run before Django is set up: it rewrites DATABASE_URL, REDIS_PREFIX and the
secrets in os.environ, so the bench process (which mints tokens and checks stored messages) and
the server it starts read exactly the same configuration.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = BASE_DIR / "bench-results"


@dataclass(frozen=True)
class BenchEnvironment:
    database_url: str
    redis_url: str
    postgres: bool

    @property
    def max_workers(self) -> int | None:
        """Without Redis only one server process can serve the chat (in-memory layer)."""
        return None if self.redis_url else 1


def bench_database_url(url: str) -> str:
    """postgres://host/name -> postgres://host/name_bench (query string kept)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "postgres"
    return urlunsplit(parts._replace(path=f"/{name}_bench"))


def configure(*, target_url: str | None) -> BenchEnvironment:
    """Point this process at the bench's data. Against an external server (--url) the database
    must be that server's, so DATABASE_URL is used as given."""
    source = os.environ.get("DATABASE_URL", "")
    if target_url:
        database_url = source or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    elif source:
        database_url = bench_database_url(source)
    else:
        RESULTS_DIR.mkdir(exist_ok=True)
        database_url = f"sqlite:///{RESULTS_DIR / 'bench.sqlite3'}"
    os.environ["DATABASE_URL"] = database_url
    if not target_url:
        prefix = os.environ.get("REDIS_PREFIX", "expert-support")
        os.environ["REDIS_PREFIX"] = f"{prefix}-bench"
        # The bench mints tokens in-process; the server it starts must share the signing key.
        os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(32))
        os.environ["DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    return BenchEnvironment(
        database_url=database_url,
        redis_url=os.environ.get("REDIS_URL", ""),
        postgres=database_url.startswith(("postgres://", "postgresql://")),
    )


def ensure_database(environment: BenchEnvironment) -> None:
    """Create the PostgreSQL database if missing, then set Django up and migrate it."""
    if environment.postgres:
        _create_postgres_database(environment.database_url)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def _create_postgres_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
