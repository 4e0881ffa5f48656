"""pending actions can be superseded (a fresh preview replaced them)

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
NEW = (*OLD, 'superseded')


def _check(values: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    with op.batch_alter_table('pending_actions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f(NAME), type_='check')
        batch_op.create_check_constraint(op.f(NAME), _check(NEW))


def downgrade() -> None:
    op.execute("UPDATE pending_actions SET status = 'expired' WHERE status = 'superseded'")
    with op.batch_alter_table('pending_actions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f(NAME), type_='check')
        batch_op.create_check_constraint(op.f(NAME), _check(OLD))
