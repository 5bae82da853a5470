"""Alembic migrations of the register's database."""
