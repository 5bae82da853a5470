"""Alembic environment for the register database; run through `sync.store.migrate`."""

from __future__ import annotations

from alembic import context

from sync.models import Base

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies tables
)
with context.begin_transaction():
    context.run_migrations()
