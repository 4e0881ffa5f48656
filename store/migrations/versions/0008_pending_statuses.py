"""pending actions: declined (was cancelled), failed, superseded by a fresh preview

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 14:30:00
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = 'ck_pending_actions_pending_status'
OLD = ('pending', 'applied', 'cancelled', 'expired')
NEW = ('pending', 'applied', 'declined', 'expired', 'superseded', 'failed')


def _check(values: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _swap(old: tuple[str, ...], new: tuple[str, ...], updates: list[str]) -> None:
    with op.batch_alter_table('pending_actions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f(NAME), type_='check')
    for sql in updates:
        op.execute(sql)
    with op.batch_alter_table('pending_actions', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f(NAME), _check(new))


def upgrade() -> None:
    # "cancelled" read like a subscription's cancellation: a person declined the change.
    _swap(OLD, NEW, ["UPDATE pending_actions SET status = 'declined' WHERE status = 'cancelled'"])


def downgrade() -> None:
    _swap(NEW, OLD, [
        "UPDATE pending_actions SET status = 'cancelled' WHERE status IN ('declined', 'failed')",
        "UPDATE pending_actions SET status = 'expired' WHERE status = 'superseded'",
    ])
