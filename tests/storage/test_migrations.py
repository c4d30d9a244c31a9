"""Schema migrations on real PostgreSQL: processes starting together (API + workers) all succeed."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

from sqlalchemy import create_engine, inspect, text

from storage.db import migrate
from storage.enrollments.models import Base
from tests import services


def test_concurrent_migrations_take_turns_and_reach_head() -> None:
    with services.postgres_database() as url:
        with ProcessPoolExecutor(4) as pool:
            list(pool.map(migrate, [url] * 4))
        migrate(url)  # and again: idempotent
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == ["0002"]
            assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
        finally:
            engine.dispose()
