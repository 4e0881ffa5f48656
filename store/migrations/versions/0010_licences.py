"""licences: tools, employees, seats, expenses, reclaim cases

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 17:17:53.940767
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Role gains "employee" (a person of the company directory who is not staff); the staff
# table's CHECK follows the enum it is written from, like every other enum column.
ROLE_CHECK = 'ck_staff_staff_role'
OLD_ROLES = ('guest', 'customer', 'support', 'sales', 'manager', 'admin', 'system')
NEW_ROLES = (*OLD_ROLES[:6], 'employee', 'system')


def _roles(values: tuple[str, ...]) -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_constraint(op.f(ROLE_CHECK), type_='check')
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f(ROLE_CHECK), "role IN (" + ", ".join(f"'{v}'" for v in values) + ")"
        )


def upgrade() -> None:
    op.create_table('employees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slack_user_id', sa.String(length=32), nullable=True),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('email', sa.String(length=256), nullable=False),
    sa.Column('department', sa.String(length=100), nullable=True),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employees')),
    sa.UniqueConstraint('email', name=op.f('uq_employees_email')),
    sa.UniqueConstraint('slack_user_id', name=op.f('uq_employees_slack_user_id'))
    )
    op.create_table('licence_vendors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_licence_vendors')),
    sa.UniqueConstraint('name', name=op.f('uq_licence_vendors_name'))
    )
    op.create_table('expense_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vendor_name', sa.String(length=200), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('interval', sa.Enum('month', 'year', name='expense_interval', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('spent_on', sa.Date(), nullable=False),
    sa.Column('employee_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['employee_id'], ['employees.id'], name=op.f('fk_expense_lines_employee_id_employees')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expense_lines'))
    )
    with op.batch_alter_table('expense_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expense_lines_employee_id'), ['employee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_expense_lines_vendor_name'), ['vendor_name'], unique=False)

    op.create_table('licence_tools',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=False),
    sa.Column('product', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=100), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('price_cents', sa.Integer(), nullable=False),
    sa.Column('interval', sa.Enum('month', 'year', name='tool_interval', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('renews_on', sa.Date(), nullable=False),
    sa.Column('auto_renew', sa.Boolean(), nullable=False),
    sa.Column('notice_days', sa.Integer(), nullable=True),
    sa.Column('notice_verified', sa.Boolean(), nullable=False),
    sa.Column('owner_slack_id', sa.String(length=32), nullable=True),
    sa.Column('department', sa.String(length=100), nullable=True),
    sa.Column('decision', sa.Enum('none', 'renew', 'cancel', 'resize', name='tool_decision', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('decided_seats', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['vendor_id'], ['licence_vendors.id'], name=op.f('fk_licence_tools_vendor_id_licence_vendors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_licence_tools')),
    sa.UniqueConstraint('product', name=op.f('uq_licence_tools_product'))
    )
    with op.batch_alter_table('licence_tools', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_licence_tools_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_licence_tools_owner_slack_id'), ['owner_slack_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_licence_tools_renews_on'), ['renews_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_licence_tools_vendor_id'), ['vendor_id'], unique=False)

    op.create_table('licence_app_names',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tool_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['tool_id'], ['licence_tools.id'], name=op.f('fk_licence_app_names_tool_id_licence_tools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_licence_app_names')),
    sa.UniqueConstraint('name', name=op.f('uq_licence_app_names_name'))
    )
    with op.batch_alter_table('licence_app_names', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_licence_app_names_tool_id'), ['tool_id'], unique=False)

    op.create_table('seat_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tool_id', sa.Integer(), nullable=False),
    sa.Column('employee_id', sa.Integer(), nullable=False),
    sa.Column('assigned_on', sa.Date(), nullable=False),
    sa.Column('last_active_on', sa.Date(), nullable=True),
    sa.Column('exempt', sa.Boolean(), nullable=False),
    sa.Column('revoked_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['employee_id'], ['employees.id'], name=op.f('fk_seat_assignments_employee_id_employees')),
    sa.ForeignKeyConstraint(['tool_id'], ['licence_tools.id'], name=op.f('fk_seat_assignments_tool_id_licence_tools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seat_assignments')),
    sa.UniqueConstraint('tool_id', 'employee_id', name=op.f('uq_seat_assignments_tool_id'))
    )
    with op.batch_alter_table('seat_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seat_assignments_employee_id'), ['employee_id'], unique=False)
        batch_op.create_index('ix_seat_assignments_tool_last_active', ['tool_id', 'last_active_on'], unique=False)

    op.create_table('reclaim_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('candidate', 'awaiting_user', 'awaiting_owner', 'revoked', 'kept', 'skipped', name='reclaim_state', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('answer_by', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['seat_assignments.id'], name=op.f('fk_reclaim_cases_assignment_id_seat_assignments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reclaim_cases'))
    )
    with op.batch_alter_table('reclaim_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reclaim_cases_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reclaim_cases_state'), ['state'], unique=False)

    _roles(NEW_ROLES)


def downgrade() -> None:
    _roles(OLD_ROLES)
    with op.batch_alter_table('reclaim_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reclaim_cases_state'))
        batch_op.drop_index(batch_op.f('ix_reclaim_cases_assignment_id'))

    op.drop_table('reclaim_cases')
    with op.batch_alter_table('seat_assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_seat_assignments_tool_last_active')
        batch_op.drop_index(batch_op.f('ix_seat_assignments_employee_id'))

    op.drop_table('seat_assignments')
    with op.batch_alter_table('licence_app_names', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_licence_app_names_tool_id'))

    op.drop_table('licence_app_names')
    with op.batch_alter_table('licence_tools', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_licence_tools_vendor_id'))
        batch_op.drop_index(batch_op.f('ix_licence_tools_renews_on'))
        batch_op.drop_index(batch_op.f('ix_licence_tools_owner_slack_id'))
        batch_op.drop_index(batch_op.f('ix_licence_tools_category'))

    op.drop_table('licence_tools')
    with op.batch_alter_table('expense_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expense_lines_vendor_name'))
        batch_op.drop_index(batch_op.f('ix_expense_lines_employee_id'))

    op.drop_table('expense_lines')
    op.drop_table('licence_vendors')
    op.drop_table('employees')
