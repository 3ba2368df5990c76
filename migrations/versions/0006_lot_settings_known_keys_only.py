"""lot settings: known keys only

Lot policies now refuse an unknown key (``parking.policy``). Early demo seeds wrote ``full_policy``, which
no version ever read (full lots always refused temporary cars, pass holders were always admitted): it is
removed so that those instances keep running. Any other unknown key is left for the operator to fix,
since its meaning cannot be guessed; the agent and the console name it.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

RETIRED_KEYS = ("full_policy",)


def upgrade() -> None:
    conn = op.get_bind()
    lot = sa.table("lot", sa.column("id", sa.Integer), sa.column("settings", sa.JSON))
    for lot_id, settings in conn.execute(sa.select(lot.c.id, lot.c.settings)).all():
        doc = json.loads(settings) if isinstance(settings, str) else dict(settings or {})
        if any(key in doc for key in RETIRED_KEYS):
            kept = {k: v for k, v in doc.items() if k not in RETIRED_KEYS}
            conn.execute(lot.update().where(lot.c.id == lot_id).values(settings=kept))


def downgrade() -> None:
    pass  # the retired keys meant nothing: there is nothing to put back
