"""Alembic migrations for the HQ database; `hq.db.migrate` runs them."""
