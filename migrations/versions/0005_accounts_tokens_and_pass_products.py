"""accounts, tokens and pass products

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 02:36:29.436852
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['operator.id'], name=op.f('fk_api_token_created_by_id_operator'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    op.create_table('operator_site',
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['operator_id'], ['operator.id'], name=op.f('fk_operator_site_operator_id_operator'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_operator_site_site_id_site'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('operator_id', 'site_id', name=op.f('pk_operator_site'))
    )
    op.create_table('pass_product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.Enum('monthly', 'time_window', 'enterprise', 'owner', 'shared', name='pass_kind', native_enum=False, length=16), nullable=False),
    sa.Column('period_months', sa.Integer(), nullable=False),
    sa.Column('price_fen', sa.Integer(), nullable=False),
    sa.Column('spaces', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('window_start', sa.Time(), nullable=True),
    sa.Column('window_end', sa.Time(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('period_months > 0', name=op.f('ck_pass_product_period_positive')),
    sa.CheckConstraint('price_fen >= 0', name=op.f('ck_pass_product_price_not_negative')),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_pass_product_lot_id_lot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['zone_id'], ['zone.id'], name=op.f('fk_pass_product_zone_id_zone'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pass_product')),
    sa.UniqueConstraint('lot_id', 'code', name=op.f('uq_pass_product_lot_id'))
    )
    with op.batch_alter_table('pass_product', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pass_product_lot_id'), ['lot_id'], unique=False)

    with op.batch_alter_table('operator', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), nullable=False, server_default='0'))

    with op.batch_alter_table('pass', schema=None) as batch_op:
        batch_op.add_column(sa.Column('product_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('phone', sa.String(length=32), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('household', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('note', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('suspended_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_pass_product_id_pass_product'), 'pass_product', ['product_id'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    with op.batch_alter_table('pass', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_pass_product_id_pass_product'), type_='foreignkey')
        batch_op.drop_column('ended_at')
        batch_op.drop_column('suspended_at')
        batch_op.drop_column('note')
        batch_op.drop_column('household')
        batch_op.drop_column('phone')
        batch_op.drop_column('product_id')

    with op.batch_alter_table('operator', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')
        batch_op.drop_column('password_changed_at')
        batch_op.drop_column('must_change_password')

    with op.batch_alter_table('pass_product', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pass_product_lot_id'))

    op.drop_table('pass_product')
    op.drop_table('operator_site')
    op.drop_table('api_token')
