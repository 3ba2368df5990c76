"""session pool and pass

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('parking_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pool', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('pass_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('parking_session', schema=None) as batch_op:
        batch_op.drop_column('pass_id')
        batch_op.drop_column('pool')

