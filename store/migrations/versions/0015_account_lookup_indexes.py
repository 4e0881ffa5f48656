"""accounts found by name or domain in any case: indexes on lower(name) and lower(domain)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 06:55:36.639881
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Written by hand: autogenerate cannot reflect expression indexes on SQLite.
    op.create_index('ix_accounts_lower_name', 'accounts', [sa.text('lower(name)')])
    op.create_index('ix_accounts_lower_domain', 'accounts', [sa.text('lower(domain)')])


def downgrade() -> None:
    op.drop_index('ix_accounts_lower_domain', table_name='accounts')
    op.drop_index('ix_accounts_lower_name', table_name='accounts')
