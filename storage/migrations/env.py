"""Alembic environment: the URL comes from the Config built by storage.db.alembic_config."""

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool

# Every module that declares tables, so that autogenerate and upgrades see the whole schema.
import storage.audit.models  # noqa: F401
import storage.evidence.models  # noqa: F401
import storage.review.models  # noqa: F401
import storage.webhooks.models  # noqa: F401
from storage.enrollments.models import Base

config = context.config


def run_migrations() -> None:
    given = config.attributes.get("connection")  # storage.db.migrate passes one holding its lock
    if given is not None:
        _run(given)
        return
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with connectable.connect() as connection:
        _run(connection)


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
