"""initial schema

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('operator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('admin', 'manager', 'attendant', name='operator_role', native_enum=False, length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operator')),
    sa.UniqueConstraint('username', name=op.f('uq_operator_username'))
    )
    op.create_table('site',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site')),
    sa.UniqueConstraint('code', name=op.f('uq_site_code'))
    )
    op.create_table('vehicle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plate', sa.String(length=16), nullable=False),
    sa.Column('plate_color', sa.String(length=16), nullable=False),
    sa.Column('plate_kind', sa.String(length=24), nullable=False),
    sa.Column('owner_name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vehicle')),
    sa.UniqueConstraint('plate', name=op.f('uq_vehicle_plate'))
    )
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target', sa.String(length=100), nullable=False),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('remote_addr', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['operator_id'], ['operator.id'], name=op.f('fk_audit_event_operator_id_operator'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_at'), ['at'], unique=False)

    op.create_table('lot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('settings', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_lot_site_id_site'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lot')),
    sa.UniqueConstraint('code', name=op.f('uq_lot_code'))
    )
    with op.batch_alter_table('lot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lot_site_id'), ['site_id'], unique=False)

    op.create_table('calendar_override',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('day_kind', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_calendar_override_lot_id_lot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_override')),
    sa.UniqueConstraint('lot_id', 'day', name=op.f('uq_calendar_override_lot_id'))
    )
    op.create_table('list_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('plate', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.Enum('whitelist', 'blacklist', name='list_kind', native_enum=False, length=16), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['operator.id'], name=op.f('fk_list_entry_created_by_id_operator'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_list_entry_lot_id_lot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_list_entry'))
    )
    with op.batch_alter_table('list_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_list_entry_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_list_entry_plate'), ['plate'], unique=False)

    op.create_table('lot_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('event_uid', sa.String(length=40), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('plate', sa.String(length=16), nullable=False),
    sa.Column('stream_id', sa.String(length=32), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_lot_event_lot_id_lot'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lot_event')),
    sa.UniqueConstraint('event_uid', name=op.f('uq_lot_event_event_uid'))
    )
    with op.batch_alter_table('lot_event', schema=None) as batch_op:
        batch_op.create_index('ix_lot_event_lot_at', ['lot_id', 'at'], unique=False)

    op.create_table('payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=40), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('session_uid', sa.String(length=40), nullable=True),
    sa.Column('plate', sa.String(length=16), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('method', sa.Enum('cash', 'qr', 'prepaid', 'waived', name='payment_method', native_enum=False, length=16), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=True),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_fen >= 0', name=op.f('ck_payment_amount_not_negative')),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_payment_lot_id_lot'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['operator_id'], ['operator.id'], name=op.f('fk_payment_operator_id_operator'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment')),
    sa.UniqueConstraint('uid', name=op.f('uq_payment_uid'))
    )
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_session_uid'), ['session_uid'], unique=False)

    op.create_table('tariff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('document', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('version >= 1', name=op.f('ck_tariff_version_positive')),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_tariff_lot_id_lot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tariff')),
    sa.UniqueConstraint('code', 'version', name=op.f('uq_tariff_code'))
    )
    with op.batch_alter_table('tariff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tariff_lot_id'), ['lot_id'], unique=False)

    op.create_table('zone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.CheckConstraint('capacity >= 0', name=op.f('ck_zone_capacity_not_negative')),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_zone_lot_id_lot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['zone.id'], name=op.f('fk_zone_parent_id_zone'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zone')),
    sa.UniqueConstraint('lot_id', 'code', name=op.f('uq_zone_lot_id'))
    )
    with op.batch_alter_table('zone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zone_lot_id'), ['lot_id'], unique=False)

    op.create_table('lane',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('direction', sa.Enum('entry', 'exit', name='lane_direction', native_enum=False, length=16), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_lane_lot_id_lot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['zone_id'], ['zone.id'], name=op.f('fk_lane_zone_id_zone'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lane')),
    sa.UniqueConstraint('lot_id', 'code', name=op.f('uq_lane_lot_id'))
    )
    with op.batch_alter_table('lane', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lane_lot_id'), ['lot_id'], unique=False)

    op.create_table('pass',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('monthly', 'time_window', 'enterprise', 'owner', 'shared', name='pass_kind', native_enum=False, length=16), nullable=False),
    sa.Column('holder', sa.String(length=100), nullable=False),
    sa.Column('spaces', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('window_start', sa.Time(), nullable=True),
    sa.Column('window_end', sa.Time(), nullable=True),
    sa.Column('price_fen', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('spaces >= 1', name=op.f('ck_pass_spaces_positive')),
    sa.CheckConstraint('valid_until > valid_from', name=op.f('ck_pass_validity_ordered')),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_pass_lot_id_lot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['zone_id'], ['zone.id'], name=op.f('fk_pass_zone_id_zone'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pass'))
    )
    with op.batch_alter_table('pass', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pass_lot_id'), ['lot_id'], unique=False)

    op.create_table('zone_pool',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('temporary', 'pass', 'reserved', 'shared', name='pool_kind', native_enum=False, length=16), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.CheckConstraint('capacity >= 0', name=op.f('ck_zone_pool_capacity_not_negative')),
    sa.ForeignKeyConstraint(['zone_id'], ['zone.id'], name=op.f('fk_zone_pool_zone_id_zone'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zone_pool')),
    sa.UniqueConstraint('zone_id', 'kind', name=op.f('uq_zone_pool_zone_id'))
    )
    op.create_table('device',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('lane_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('camera', 'gate', 'display', 'relay', name='device_kind', native_enum=False, length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('serial', sa.String(length=64), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['lane_id'], ['lane.id'], name=op.f('fk_device_lane_id_lane'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_device_lot_id_lot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device')),
    sa.UniqueConstraint('serial', name=op.f('uq_device_serial'))
    )
    with op.batch_alter_table('device', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_device_lane_id'), ['lane_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_device_lot_id'), ['lot_id'], unique=False)

    op.create_table('parking_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=40), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('plate', sa.String(length=16), nullable=False),
    sa.Column('plate_color', sa.String(length=16), nullable=False),
    sa.Column('vehicle_class', sa.String(length=24), nullable=False),
    sa.Column('status', sa.Enum('open', 'closed', 'voided', name='session_status', native_enum=False, length=16), nullable=False),
    sa.Column('entry_lane_id', sa.Integer(), nullable=True),
    sa.Column('entry_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('entry_read', sa.String(length=64), nullable=False),
    sa.Column('entry_snapshot', sa.String(length=200), nullable=False),
    sa.Column('exit_lane_id', sa.Integer(), nullable=True),
    sa.Column('exit_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('exit_read', sa.String(length=64), nullable=False),
    sa.Column('exit_snapshot', sa.String(length=200), nullable=False),
    sa.Column('fee_fen', sa.Integer(), nullable=False),
    sa.Column('paid_fen', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry_lane_id'], ['lane.id'], name=op.f('fk_parking_session_entry_lane_id_lane'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['exit_lane_id'], ['lane.id'], name=op.f('fk_parking_session_exit_lane_id_lane'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_parking_session_lot_id_lot'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['zone_id'], ['zone.id'], name=op.f('fk_parking_session_zone_id_zone'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parking_session')),
    sa.UniqueConstraint('uid', name=op.f('uq_parking_session_uid'))
    )
    with op.batch_alter_table('parking_session', schema=None) as batch_op:
        batch_op.create_index('ix_parking_session_lot_status', ['lot_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_parking_session_plate'), ['plate'], unique=False)

    op.create_table('pass_plate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pass_id', sa.Integer(), nullable=False),
    sa.Column('plate', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['pass_id'], ['pass.id'], name=op.f('fk_pass_plate_pass_id_pass'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pass_plate')),
    sa.UniqueConstraint('pass_id', 'plate', name=op.f('uq_pass_plate_pass_id'))
    )
    with op.batch_alter_table('pass_plate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pass_plate_pass_id'), ['pass_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pass_plate_plate'), ['plate'], unique=False)

    op.create_table('device_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['device.id'], name=op.f('fk_device_event_device_id_device'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_event'))
    )
    with op.batch_alter_table('device_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_device_event_device_id'), ['device_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('device_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_device_event_device_id'))

    op.drop_table('device_event')
    with op.batch_alter_table('pass_plate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pass_plate_plate'))
        batch_op.drop_index(batch_op.f('ix_pass_plate_pass_id'))

    op.drop_table('pass_plate')
    with op.batch_alter_table('parking_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_parking_session_plate'))
        batch_op.drop_index('ix_parking_session_lot_status')

    op.drop_table('parking_session')
    with op.batch_alter_table('device', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_device_lot_id'))
        batch_op.drop_index(batch_op.f('ix_device_lane_id'))

    op.drop_table('device')
    op.drop_table('zone_pool')
    with op.batch_alter_table('pass', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pass_lot_id'))

    op.drop_table('pass')
    with op.batch_alter_table('lane', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lane_lot_id'))

    op.drop_table('lane')
    with op.batch_alter_table('zone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zone_lot_id'))

    op.drop_table('zone')
    with op.batch_alter_table('tariff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tariff_lot_id'))

    op.drop_table('tariff')
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_session_uid'))
        batch_op.drop_index(batch_op.f('ix_payment_lot_id'))

    op.drop_table('payment')
    with op.batch_alter_table('lot_event', schema=None) as batch_op:
        batch_op.drop_index('ix_lot_event_lot_at')

    op.drop_table('lot_event')
    with op.batch_alter_table('list_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_list_entry_plate'))
        batch_op.drop_index(batch_op.f('ix_list_entry_lot_id'))

    op.drop_table('list_entry')
    op.drop_table('calendar_override')
    with op.batch_alter_table('lot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lot_site_id'))

    op.drop_table('lot')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_at'))

    op.drop_table('audit_event')
    op.drop_table('vehicle')
    op.drop_table('site')
    op.drop_table('operator')

