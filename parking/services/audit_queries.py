"""Reading the audit log, for the console's page (操作日志) and its CSV export, and the API's ``/audit``:
who did what, on what, from where and when, newest first.

The filters are the operator (a user name, or ``NO_OPERATOR`` for the rows of no operator: the command
line, the system, an integration token), an action prefix (``operator.``, ``auth.login``...), a part of
the target, and a time range (``since`` inclusive, ``until`` exclusive, aware). The action and target
are matched literally: a ``%`` or ``_`` in them is no wildcard. Each interface reads and bounds its own
input (``*_MAX_CHARS``) and says what was wrong in its own words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..models import AuditEvent, Operator
from .audit import ACTION_MAX_CHARS, TARGET_MAX_CHARS

NO_OPERATOR = "-"  # the operator filter for rows of no operator
OPERATOR_MAX_CHARS = 64  # a user name (``Operator.username``)
__all__ = ["ACTION_MAX_CHARS", "NO_OPERATOR", "OPERATOR_MAX_CHARS", "TARGET_MAX_CHARS", "AuditQuery", "events_by_id", "operator_known",
           "select_events"]


@dataclass(frozen=True)
class AuditQuery:
    operator: str = ""  # a user name, NO_OPERATOR, or "" for every row
    action: str = ""  # a prefix of the action
    target: str = ""  # a part of the target
    since: datetime | None = None  # inclusive, aware
    until: datetime | None = None  # exclusive, aware


def operator_known(db: Session, username: str) -> bool:
    """Whether ``username`` is an operator filter that can match: ``NO_OPERATOR`` or an account's user name."""
    return username == NO_OPERATOR or db.scalar(select(Operator.id).where(Operator.username == username)) is not None


def select_events(chosen: AuditQuery) -> Select[tuple[AuditEvent, str | None]]:
    """The audit rows ``chosen`` asks for, each with its operator's user name (None for no operator),
    newest first (by id among rows of the same instant)."""
    query = (select(AuditEvent, Operator.username).outerjoin(Operator, Operator.id == AuditEvent.operator_id)
             .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))
    if chosen.operator == NO_OPERATOR:
        query = query.where(AuditEvent.operator_id.is_(None))
    elif chosen.operator:
        query = query.where(Operator.username == chosen.operator)
    if chosen.action:
        query = query.where(AuditEvent.action.startswith(chosen.action, autoescape=True))
    if chosen.target:
        query = query.where(AuditEvent.target.contains(chosen.target, autoescape=True))
    if chosen.since is not None:
        query = query.where(AuditEvent.at >= chosen.since)
    if chosen.until is not None:
        query = query.where(AuditEvent.at < chosen.until)
    return query


def events_by_id(db: Session, query: Select[tuple[AuditEvent, str | None]], ids: list[int]) -> list[tuple[AuditEvent, str | None]]:
    """The rows of ``query`` with these ids, in the order of ``ids`` (a page of ids counted first)."""
    if not ids:
        return []
    found = {event.id: (event, username) for event, username in db.execute(query.where(AuditEvent.id.in_(ids)))}
    return [found[i] for i in ids if i in found]
