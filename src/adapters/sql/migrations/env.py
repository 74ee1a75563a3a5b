"""Alembic environment: the connection comes from `adapters.sql.migrate` (or the URL)."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from starport.adapters.sql.tables import metadata

config = context.config


def run(connection: Connection) -> None:
    context.configure(
        connection=connection, target_metadata=metadata, compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",  # ALTER through table copies
    )
    with context.begin_transaction():
        context.run_migrations()


async def _connect_and_run(url: str) -> None:
    from starport.adapters.sql.engine import make_engine

    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(run)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (connection := config.attributes.get("connection")) is not None:
    run(connection)
else:  # the plain `alembic` command line, given -x or a config with sqlalchemy.url
    asyncio.run(_connect_and_run(config.get_main_option("sqlalchemy.url") or ""))
