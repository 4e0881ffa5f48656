"""list cursors: where a long list stopped, per conversation (`more`, "Show more")

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('list_cursors',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('conversation_id', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('skill', sa.String(length=64), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('offset', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_list_cursors'))
    )
    with op.batch_alter_table('list_cursors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_list_cursors_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_list_cursors_conversation_user', ['conversation_id', 'user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('list_cursors', schema=None) as batch_op:
        batch_op.drop_index('ix_list_cursors_conversation_user')
        batch_op.drop_index(batch_op.f('ix_list_cursors_created_at'))

    op.drop_table('list_cursors')
