"""visitor registrations

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('visitor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('plate', sa.String(length=16), nullable=False),
    sa.Column('host', sa.String(length=100), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('valid_until > valid_from', name=op.f('ck_visitor_validity_ordered')),
    sa.ForeignKeyConstraint(['created_by_id'], ['operator.id'], name=op.f('fk_visitor_created_by_id_operator'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_visitor_lot_id_lot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visitor'))
    )
    with op.batch_alter_table('visitor', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visitor_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visitor_plate'), ['plate'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('visitor', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visitor_plate'))
        batch_op.drop_index(batch_op.f('ix_visitor_lot_id'))
    op.drop_table('visitor')
