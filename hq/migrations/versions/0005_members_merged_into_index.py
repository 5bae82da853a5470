"""Members gain an index on `merged_into`, for the members merged into a member.

The pull feed and the member look-up send the figures behind a member's rank, which
count the purchases of members merged into it; finding those must not read the whole
members table for each page. Only merged members are indexed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    merged = sa.text("merged_into IS NOT NULL")
    op.create_index("ix_members_merged_into", "members", ["merged_into"],
                    postgresql_where=merged, sqlite_where=merged)


def downgrade() -> None:
    op.drop_index("ix_members_merged_into", table_name="members")
