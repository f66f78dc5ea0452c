"""Durable stages: run events, the files a run read, finding details, suggestion originals, node ids.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 02:16:43.156186
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "run_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["review_runs.id"], name=op.f("fk_run_events_run_id_review_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_events")),
    )
    with op.batch_alter_table("run_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_events_run_id"), ["run_id"], unique=False)

    op.create_table(
        "run_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("blob_sha", sa.String(length=40), nullable=True),
        sa.Column("patch", sa.Text(), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("skipped", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["review_runs.id"], name=op.f("fk_run_files_run_id_review_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_files")),
        sa.UniqueConstraint("run_id", "path", name=op.f("uq_run_files_run_id_path")),
    )
    with op.batch_alter_table("run_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_files_run_id"), ["run_id"], unique=False)

    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("detail", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))

    with op.batch_alter_table("posted_comments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("node_id", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("minimized_reason", sa.String(length=32), nullable=True))

    with op.batch_alter_table("review_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_stage", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column(
                "stage_started_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
            )
        )

    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("original", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:

    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.drop_column("description")
        batch_op.drop_column("original")

    with op.batch_alter_table("review_runs", schema=None) as batch_op:
        batch_op.drop_column("stage_started_at")
        batch_op.drop_column("failed_stage")

    with op.batch_alter_table("posted_comments", schema=None) as batch_op:
        batch_op.drop_column("minimized_reason")
        batch_op.drop_column("node_id")

    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_column("detail")

    with op.batch_alter_table("run_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_files_run_id"))

    op.drop_table("run_files")
    with op.batch_alter_table("run_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_events_run_id"))

    op.drop_table("run_events")
