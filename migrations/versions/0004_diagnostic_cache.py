"""Diagnostic cache: what a validator tool reported, keyed by tool, version, configuration and content.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "diagnostic_cache",
        sa.Column("tool", sa.String(length=32), nullable=False),
        sa.Column("tool_version", sa.String(length=128), nullable=False),
        sa.Column("config_hash", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "tool", "tool_version", "config_hash", "content_hash", name=op.f("pk_diagnostic_cache")
        ),
    )


def downgrade() -> None:
    op.drop_table("diagnostic_cache")
