"""Alembic revisions of the HQ schema, oldest first."""
