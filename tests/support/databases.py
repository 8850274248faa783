"""Migrated databases for tests: SQLite always; PostgreSQL when reachable, and always under CI=true.

Each run migrates one database per engine. Every test starts from an empty, migrated schema: a copy of the
template file for SQLite, and for PostgreSQL the one database emptied before the test.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from app.audit.chain import GENESIS_HASH
from app.core.config import Settings
from app.migrations.runner import migrate_to_head

POSTGRES_ADMIN_URL = os.environ.get("VCLINIC_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _migrate(url: str) -> None:
    migrate_to_head(Settings(dev_mode=True, database_url=url))


def sqlite_template(directory: Path) -> Path:
    path = directory / "template.db"
    _migrate(f"sqlite+aiosqlite:///{path}")
    return path


def sqlite_copy(template: Path, directory: Path) -> str:
    target = directory / f"{uuid.uuid4().hex}.db"
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"


def postgres_available() -> bool:
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def require_postgres() -> None:
    if postgres_available():
        return
    if IN_CI:
        pytest.fail(f"PostgreSQL is mandatory under CI=true and {POSTGRES_ADMIN_URL} is not reachable")
    pytest.skip("PostgreSQL is not reachable here (mandatory under CI=true)")


def _admin(statement: str) -> None:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(statement)  # type: ignore[arg-type]


def _async_url(database: str) -> str:
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{database}"


@contextmanager
def postgres_database() -> Iterator[str]:
    """One migrated database for the whole run, emptied before each test by ``reset_postgres``."""
    name = f"vclinic_test_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        _migrate(_async_url(name))
        yield _async_url(name)
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def reset_postgres(url: str) -> None:
    """Empties every table but the migration marker, faster than a new database per test.

    ``session_replication_role = replica`` lets TRUNCATE past the audit table's append-only triggers, which
    only a superuser can do: exactly the power a test harness, and no application role, should have.
    """
    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute("SET lock_timeout = '10s'")
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT tablename FROM pg_tables"
                " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
        ]
        connection.execute("SET session_replication_role = replica")
        connection.execute(
            "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"  # type: ignore[arg-type]
        )
        connection.execute("SET session_replication_role = DEFAULT")
        connection.execute(
            "INSERT INTO audit_chain_head (id, length, last_hash, signature) VALUES (1, 0, %s, NULL)",
            (GENESIS_HASH,),
        )
