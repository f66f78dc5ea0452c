"""Run triggers: a `/maze` command's run reviews a head again beside the push run of that head.

`review_runs.trigger` is "push" (every existing run) or `comment:<id>`; the run key becomes
(repository_id, pr_number, head_sha, trigger).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_KEY = ["repository_id", "pr_number", "head_sha"]
_NEW_KEY = [*_OLD_KEY, "trigger"]


def upgrade() -> None:
    with op.batch_alter_table("review_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trigger", sa.String(length=64), nullable=False, server_default="push"))
        batch_op.drop_constraint("uq_review_runs_repository_id_pr_number_head_sha", type_="unique")
        batch_op.create_unique_constraint("uq_review_runs_repository_id_pr_number_head_sha_trigger", _NEW_KEY)


def downgrade() -> None:
    # Command runs have no place under the old key: they go, with everything they stored (cascades).
    op.execute("DELETE FROM review_runs WHERE \"trigger\" <> 'push'")
    with op.batch_alter_table("review_runs", schema=None) as batch_op:
        batch_op.drop_constraint("uq_review_runs_repository_id_pr_number_head_sha_trigger", type_="unique")
        batch_op.create_unique_constraint("uq_review_runs_repository_id_pr_number_head_sha", _OLD_KEY)
        batch_op.drop_column("trigger")
