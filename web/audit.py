"""Audit rows for what operators do in the web app: who, what, on what, from where."""

from __future__ import annotations

from typing import Any

from flask import request
from sqlalchemy.orm import Session

from parking.models import AuditEvent


def record(db: Session, action: str, *, operator_id: int | None, target: str = "", **detail: Any) -> AuditEvent:
    """Add an audit row to ``db``; the caller commits it with the change it describes."""
    event = AuditEvent(
        operator_id=operator_id,
        action=action,
        target=target[:100],
        detail=detail,
        remote_addr=(request.remote_addr or "")[:64],
    )
    db.add(event)
    return event
