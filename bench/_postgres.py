"""A fresh PostgreSQL database for one bench run on 127.0.0.1:5432 (user postgres), dropped afterwards."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextmanager
def fresh_database(purpose: str) -> Iterator[str]:
    """Yields the new database's SQLAlchemy URL; the database is dropped, its connections ended, on exit."""
    name = f"vclinic_bench_{purpose}_{secrets.token_hex(4)}"
    with psycopg.connect(SERVER, autocommit=True) as server:
        server.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(SERVER, autocommit=True) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
