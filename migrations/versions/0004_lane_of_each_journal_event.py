"""lane of each journal event

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


# Where events recorded before this revision keep their lane (as the recorder reads it at this revision).
LANE_PATHS = {
    "entered": (("session", "lane"),), "entry_refused": (("lane",), ("attempt", "lane")), "exited": (("exit", "lane"),),
    "exit_unmatched": (("exit", "lane"),), "moved": (("move", "lane"),), "superseded": (("session", "lane"),),
}


def _lane(kind, payload):  # type: ignore[no-untyped-def]
    for path in LANE_PATHS.get(kind, (("lane",),)):
        value = payload
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None and str(value).isdigit():
            return int(value)
    return None


def upgrade() -> None:
    with op.batch_alter_table('lot_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lane_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_lot_event_lane_at', ['lane_id', 'at'], unique=False)
    events = sa.table("lot_event", sa.column("id", sa.BigInteger), sa.column("kind", sa.String),
                      sa.column("payload", sa.JSON), sa.column("lane_id", sa.Integer))
    conn = op.get_bind()
    for row in conn.execute(sa.select(events.c.id, events.c.kind, events.c.payload)):
        payload = row.payload if isinstance(row.payload, dict) else json.loads(row.payload or "{}")
        lane = _lane(row.kind, payload)
        if lane is not None:
            conn.execute(events.update().where(events.c.id == row.id).values(lane_id=lane))


def downgrade() -> None:
    with op.batch_alter_table('lot_event', schema=None) as batch_op:
        batch_op.drop_index('ix_lot_event_lane_at')
        batch_op.drop_column('lane_id')

