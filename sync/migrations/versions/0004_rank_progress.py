"""HQ's figures behind each member's rank, cached with the member: the spend and visits
HQ counted over the ranking window as of a moment, the last visit day, the enrolment
day, and the last device_seq this register had used when they were written (its later
ops are not in them). All empty until HQ sends figures; then a receipt prints what the
next rank needs from them.

Plain `ADD COLUMN`s: SQLite adds a nullable column without copying the table, which
matters for a cache of a million members.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = ("rank_as_of", "rank_spend_yen", "rank_visits", "rank_last_visit_on",
           "member_since", "rank_seq")


def upgrade() -> None:
    op.add_column("members", sa.Column("rank_as_of", sa.DateTime(timezone=True)))
    op.add_column("members", sa.Column("rank_spend_yen", sa.Integer))
    op.add_column("members", sa.Column("rank_visits", sa.Integer))
    op.add_column("members", sa.Column("rank_last_visit_on", sa.Date))
    op.add_column("members", sa.Column("member_since", sa.Date))
    op.add_column("members", sa.Column("rank_seq", sa.Integer))


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        for column in reversed(COLUMNS):
            batch.drop_column(column)
