"""money ledger

Payments become a ledger (status, the quote settled, shift, provider order and transaction ids, refunds),
with refunds, stay adjustments (discounts), arrears, shifts, merchants, coupons and campaigns, and the
daily reconciliation of each payment platform's bill with the ledger. Existing
payments were all paid: they keep their time as the time they were created. Existing stays had no
discounts or arrears.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 05:07:06.945059
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_campaign_lot_id_lot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign'))
    )
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_lot_id'), ['lot_id'], unique=False)

    op.create_table('merchant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('contact', sa.String(length=100), nullable=False),
    sa.Column('kinds', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('monthly_quota', sa.Integer(), nullable=False),
    sa.Column('stackable', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_merchant_lot_id_lot'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_merchant')),
    sa.UniqueConstraint('lot_id', 'name', name=op.f('uq_merchant_lot_id'))
    )
    op.create_table('coupon',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('plate', sa.String(length=16), nullable=False),
    sa.Column('status', sa.Enum('issued', 'used', 'void', name='coupon_status', native_enum=False, length=16), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('session_uid', sa.String(length=40), nullable=True),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('value >= 0', name=op.f('ck_coupon_value_not_negative')),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_coupon_lot_id_lot'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], name=op.f('fk_coupon_merchant_id_merchant'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coupon')),
    sa.UniqueConstraint('code', name=op.f('uq_coupon_code'))
    )
    with op.batch_alter_table('coupon', schema=None) as batch_op:
        batch_op.create_index('ix_coupon_merchant_issued', ['merchant_id', 'issued_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_coupon_session_uid'), ['session_uid'], unique=False)

    op.create_table('shift',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=40), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('lane_id', sa.Integer(), nullable=True),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('open', 'closed', 'confirmed', name='shift_status', native_enum=False, length=16), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opening_float_fen', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expected_cash_fen', sa.Integer(), nullable=True),
    sa.Column('counted_cash_fen', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('report', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.CheckConstraint('counted_cash_fen IS NULL OR counted_cash_fen >= 0', name=op.f('ck_shift_counted_not_negative')),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['operator.id'], name=op.f('fk_shift_confirmed_by_id_operator'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lane_id'], ['lane.id'], name=op.f('fk_shift_lane_id_lane'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_shift_lot_id_lot'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['operator_id'], ['operator.id'], name=op.f('fk_shift_operator_id_operator'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shift')),
    sa.UniqueConstraint('uid', name=op.f('uq_shift_uid'))
    )
    with op.batch_alter_table('shift', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shift_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index('uq_shift_open_operator', ['operator_id'], unique=True, sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))

    op.create_table('arrears',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=40), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('plate', sa.String(length=16), nullable=False),
    sa.Column('session_uid', sa.String(length=40), nullable=True),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('paid_fen', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('open', 'settled', 'waived', name='arrears_status', native_enum=False, length=16), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('lane_id', sa.Integer(), nullable=True),
    sa.Column('operator_id', sa.Integer(), nullable=True),
    sa.Column('shift_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_arrears_amount_positive')),
    sa.CheckConstraint('paid_fen >= 0 AND paid_fen <= amount_fen', name=op.f('ck_arrears_paid_within_amount')),
    sa.ForeignKeyConstraint(['lane_id'], ['lane.id'], name=op.f('fk_arrears_lane_id_lane'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_arrears_lot_id_lot'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['operator_id'], ['operator.id'], name=op.f('fk_arrears_operator_id_operator'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shift_id'], ['shift.id'], name=op.f('fk_arrears_shift_id_shift'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_arrears')),
    sa.UniqueConstraint('session_uid', name=op.f('uq_arrears_session_uid')),
    sa.UniqueConstraint('uid', name=op.f('uq_arrears_uid'))
    )
    with op.batch_alter_table('arrears', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_arrears_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index('ix_arrears_plate_status', ['plate', 'status'], unique=False)

    op.create_table('arrears_payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('arrears_id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_arrears_payment_amount_positive')),
    sa.ForeignKeyConstraint(['arrears_id'], ['arrears.id'], name=op.f('fk_arrears_payment_arrears_id_arrears'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_arrears_payment_payment_id_payment'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_arrears_payment')),
    sa.UniqueConstraint('arrears_id', 'payment_id', name='uq_arrears_payment_arrears_payment')
    )
    with op.batch_alter_table('arrears_payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_arrears_payment_arrears_id'), ['arrears_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_arrears_payment_payment_id'), ['payment_id'], unique=False)

    op.create_table('stay_adjustment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=40), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('session_uid', sa.String(length=40), nullable=True),
    sa.Column('kind', sa.Enum('coupon', 'campaign', 'free_release', 'refund', 'waiver', name='adjustment_kind', native_enum=False, length=16), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('coupon_id', sa.Integer(), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('operator_id', sa.Integer(), nullable=True),
    sa.Column('shift_id', sa.Integer(), nullable=True),
    sa.Column('lane_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_stay_adjustment_campaign_id_campaign'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['coupon_id'], ['coupon.id'], name=op.f('fk_stay_adjustment_coupon_id_coupon'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['lane_id'], ['lane.id'], name=op.f('fk_stay_adjustment_lane_id_lane'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_stay_adjustment_lot_id_lot'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['operator_id'], ['operator.id'], name=op.f('fk_stay_adjustment_operator_id_operator'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shift_id'], ['shift.id'], name=op.f('fk_stay_adjustment_shift_id_shift'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stay_adjustment')),
    sa.UniqueConstraint('uid', name=op.f('uq_stay_adjustment_uid'))
    )
    with op.batch_alter_table('stay_adjustment', schema=None) as batch_op:
        batch_op.create_index('ix_stay_adjustment_lot_at', ['lot_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_stay_adjustment_session_uid'), ['session_uid'], unique=False)
        batch_op.create_index(batch_op.f('ix_stay_adjustment_shift_id'), ['shift_id'], unique=False)

    op.create_table('refund',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=40), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('session_uid', sa.String(length=40), nullable=True),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('pending', 'refunded', 'failed', name='refund_status', native_enum=False, length=16), nullable=False),
    sa.Column('refund_id', sa.String(length=64), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=True),
    sa.Column('shift_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('refunded_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_refund_amount_positive')),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_refund_lot_id_lot'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['operator_id'], ['operator.id'], name=op.f('fk_refund_operator_id_operator'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_refund_payment_id_payment'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['shift_id'], ['shift.id'], name=op.f('fk_refund_shift_id_shift'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refund')),
    sa.UniqueConstraint('uid', name=op.f('uq_refund_uid'))
    )
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refund_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refund_payment_id'), ['payment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refund_session_uid'), ['session_uid'], unique=False)
        batch_op.create_index(batch_op.f('ix_refund_shift_id'), ['shift_id'], unique=False)

    with op.batch_alter_table('parking_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discount_fen', sa.Integer(), nullable=False, server_default=sa.text("'0'")))
        batch_op.add_column(sa.Column('arrears_fen', sa.Integer(), nullable=False, server_default=sa.text("'0'")))
        batch_op.create_index('ix_parking_session_closed_lot_exit', ['lot_id', 'exit_at'], unique=False,
                              postgresql_include=['exit_lane_id', 'fee_fen'], postgresql_where=sa.text("status = 'closed'"),
                              sqlite_where=sa.text("status = 'closed'"))

    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.Enum('pending', 'paid', 'failed', 'closed', 'refunded', name='payment_status', native_enum=False, length=16), nullable=False, server_default=sa.text("'paid'")))
        batch_op.add_column(sa.Column('purpose', sa.String(length=16), nullable=False, server_default=sa.text("'stay'")))
        batch_op.add_column(sa.Column('scene', sa.String(length=16), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('shift_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('lane_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('quote', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('quote_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cash_given_fen', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('provider_order_id', sa.String(length=64), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('qr_payload', sa.String(length=500), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('pay_url', sa.String(length=2000), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('transaction_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('payer', sa.String(length=64), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('refunded_fen', sa.Integer(), nullable=False, server_default=sa.text("'0'")))
        batch_op.add_column(sa.Column('arrears_fen', sa.Integer(), nullable=False, server_default=sa.text("'0'")))
        batch_op.add_column(sa.Column('created_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('paid_at',
               existing_type=sa.DateTime(timezone=True),
               nullable=True)
        batch_op.create_index('ix_payment_lot_paid_at', ['lot_id', 'paid_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_shift_id'), ['shift_id'], unique=False)
        batch_op.create_index('ix_payment_status_created', ['status', 'created_at'], unique=False)
        batch_op.create_index('ix_payment_method_paid_at', ['method', 'paid_at'], unique=False)
        batch_op.create_index('ix_payment_received_lot_paid', ['lot_id', 'paid_at'], unique=False,
                              postgresql_include=['lane_id', 'operator_id', 'method', 'amount_fen', 'arrears_fen'],
                              postgresql_where=sa.text("status IN ('paid', 'refunded')"), sqlite_where=sa.text("status IN ('paid', 'refunded')"))
        batch_op.create_unique_constraint('uq_payment_method_transaction', ['method', 'transaction_id'])
        batch_op.create_check_constraint('ck_payment_arrears_within_amount', 'arrears_fen >= 0 AND arrears_fen <= amount_fen')
        batch_op.create_foreign_key(batch_op.f('fk_payment_lane_id_lane'), 'lane', ['lane_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_payment_shift_id_shift'), 'shift', ['shift_id'], ['id'], ondelete='RESTRICT')

    op.create_table('bill_reconciliation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('method', sa.Enum('cash', 'wechat', 'alipay', 'coupon', 'prepaid', 'qr', 'waived', name='payment_method', native_enum=False, length=16), nullable=False),
    sa.Column('status', sa.Enum('clean', 'differences', 'failed', name='reconciliation_status', native_enum=False, length=16), nullable=False),
    sa.Column('bill_payments', sa.Integer(), nullable=False),
    sa.Column('bill_payment_fen', sa.Integer(), nullable=False),
    sa.Column('bill_refunds', sa.Integer(), nullable=False),
    sa.Column('bill_refund_fen', sa.Integer(), nullable=False),
    sa.Column('ledger_payments', sa.Integer(), nullable=False),
    sa.Column('ledger_payment_fen', sa.Integer(), nullable=False),
    sa.Column('ledger_refunds', sa.Integer(), nullable=False),
    sa.Column('ledger_refund_fen', sa.Integer(), nullable=False),
    sa.Column('differences', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bill_reconciliation')),
    sa.UniqueConstraint('day', 'method', name=op.f('uq_bill_reconciliation_day'))
    )

    payment = sa.table("payment", sa.column("created_at", sa.DateTime(timezone=True)), sa.column("paid_at", sa.DateTime(timezone=True)))
    op.execute(payment.update().values(created_at=payment.c.paid_at))
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.alter_column('created_at', existing_type=sa.DateTime(timezone=True), nullable=False)

    op.create_table('revenue_day',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('lane_id', sa.Integer(), nullable=True),
    sa.Column('operator_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('part_fen', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_revenue_day_lot_id_lot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revenue_day'))
    )
    op.create_index('ix_revenue_day_lot_day', 'revenue_day', ['lot_id', 'day'], unique=False)
    op.create_table('revenue_day_summed',
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('tz', sa.String(length=64), nullable=False),
    sa.Column('summed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_revenue_day_summed_lot_id_lot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('lot_id', 'day', name=op.f('pk_revenue_day_summed'))
    )
    op.create_table('revenue_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('hour', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revenue_change'))
    )
    op.create_index('ix_revenue_change_lot_hour', 'revenue_change', ['lot_id', 'hour'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        _revenue_triggers()


# The revenue report's daily sums (revenue_day, revenue_day_summed) stay exact on PostgreSQL: a statement that
# changes a stay or money of a lot notes the UTC hours of the moments it touched in revenue_change, in its own
# transaction, and the local days around them are summed again (parking.services.revenue_days).
REVENUE_MOMENTS = {"parking_session": "exit_at", "payment": "paid_at", "refund": "refunded_at", "stay_adjustment": "at",
                   "arrears": "created_at"}


def _revenue_triggers() -> None:
    for table, moment in REVENUE_MOMENTS.items():
        noted = (f"INSERT INTO revenue_change (lot_id, hour) SELECT DISTINCT lot_id, "
                 f"date_trunc('hour', {moment} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' "
                 f"FROM {{rows}} WHERE {moment} IS NOT NULL;")
        op.execute(f"""CREATE FUNCTION revenue_change_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN {noted.format(rows='new_rows')} END IF;
    IF TG_OP <> 'INSERT' THEN {noted.format(rows='old_rows')} END IF;
    RETURN NULL;
END $$""")
        for event, tables in (("INSERT", "NEW TABLE AS new_rows"), ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                              ("DELETE", "OLD TABLE AS old_rows")):
            op.execute(f"CREATE TRIGGER revenue_change_{event.lower()} AFTER {event} ON {table} REFERENCING {tables} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION revenue_change_{table}()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in REVENUE_MOMENTS:
            op.execute(f"DROP FUNCTION IF EXISTS revenue_change_{table}() CASCADE")
    op.drop_index('ix_revenue_change_lot_hour', table_name='revenue_change')
    op.drop_table('revenue_change')
    op.drop_table('revenue_day_summed')
    op.drop_index('ix_revenue_day_lot_day', table_name='revenue_day')
    op.drop_table('revenue_day')
    with op.batch_alter_table('arrears_payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_arrears_payment_payment_id'))
        batch_op.drop_index(batch_op.f('ix_arrears_payment_arrears_id'))

    op.drop_table('arrears_payment')
    op.drop_table('bill_reconciliation')
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_payment_shift_id_shift'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_payment_lane_id_lane'), type_='foreignkey')
        batch_op.drop_constraint('uq_payment_method_transaction', type_='unique')
        batch_op.drop_constraint('ck_payment_arrears_within_amount', type_='check')
        batch_op.drop_index('ix_payment_received_lot_paid', postgresql_where=sa.text("status IN ('paid', 'refunded')"),
                            sqlite_where=sa.text("status IN ('paid', 'refunded')"))
        batch_op.drop_index('ix_payment_method_paid_at')
        batch_op.drop_index('ix_payment_status_created')
        batch_op.drop_index(batch_op.f('ix_payment_shift_id'))
        batch_op.drop_index('ix_payment_lot_paid_at')
        batch_op.alter_column('paid_at',
               existing_type=sa.DateTime(timezone=True),
               nullable=False)
        batch_op.drop_column('settled_at')
        batch_op.drop_column('pay_url')
        batch_op.drop_column('qr_payload')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('expires_at')
        batch_op.drop_column('created_at')
        batch_op.drop_column('refunded_fen')
        batch_op.drop_column('arrears_fen')
        batch_op.drop_column('payer')
        batch_op.drop_column('transaction_id')
        batch_op.drop_column('provider_order_id')
        batch_op.drop_column('cash_given_fen')
        batch_op.drop_column('quote_at')
        batch_op.drop_column('quote')
        batch_op.drop_column('lane_id')
        batch_op.drop_column('shift_id')
        batch_op.drop_column('scene')
        batch_op.drop_column('purpose')
        batch_op.drop_column('status')

    with op.batch_alter_table('parking_session', schema=None) as batch_op:
        batch_op.drop_index('ix_parking_session_closed_lot_exit', postgresql_where=sa.text("status = 'closed'"),
                            sqlite_where=sa.text("status = 'closed'"))
        batch_op.drop_column('arrears_fen')
        batch_op.drop_column('discount_fen')

    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refund_shift_id'))
        batch_op.drop_index(batch_op.f('ix_refund_session_uid'))
        batch_op.drop_index(batch_op.f('ix_refund_payment_id'))
        batch_op.drop_index(batch_op.f('ix_refund_lot_id'))

    op.drop_table('refund')
    with op.batch_alter_table('stay_adjustment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stay_adjustment_shift_id'))
        batch_op.drop_index(batch_op.f('ix_stay_adjustment_session_uid'))
        batch_op.drop_index('ix_stay_adjustment_lot_at')

    op.drop_table('stay_adjustment')
    with op.batch_alter_table('arrears', schema=None) as batch_op:
        batch_op.drop_index('ix_arrears_plate_status')
        batch_op.drop_index(batch_op.f('ix_arrears_lot_id'))

    op.drop_table('arrears')
    with op.batch_alter_table('shift', schema=None) as batch_op:
        batch_op.drop_index('uq_shift_open_operator', sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
        batch_op.drop_index(batch_op.f('ix_shift_lot_id'))

    op.drop_table('shift')
    with op.batch_alter_table('coupon', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coupon_session_uid'))
        batch_op.drop_index('ix_coupon_merchant_issued')

    op.drop_table('coupon')
    op.drop_table('merchant')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_lot_id'))

    op.drop_table('campaign')
