"""Member app QR tokens at the counter: the public keys pulled from HQ, and the tokens
already seen (for refusing replays), pruned once they can no longer verify.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "token_keys",
        sa.Column("key_id", sa.String(16), primary_key=True),
        sa.Column("algorithm", sa.String(16), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "seen_tokens",
        sa.Column("key_id", sa.String(16), primary_key=True),
        sa.Column("nonce", sa.String(32), primary_key=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_seen_tokens_expires_at", "seen_tokens", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_seen_tokens_expires_at", table_name="seen_tokens")
    op.drop_table("seen_tokens")
    op.drop_table("token_keys")
