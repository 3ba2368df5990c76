"""The audit log page (操作日志), for administrators and auditors: who did what, on what, from where and
when, newest first, filtered by operator, action prefix (``operator.``, ``auth.login``...), target (a
part of it) and a time range read in the lots' time zone (``PARKING_TIMEZONE``); paged (a page past
the end shows the last one) and exported as CSV with the same filters. The query itself is
``parking.services.audit_queries``, which ``/api/v1/audit`` shares.

A filter that cannot be read is named in a message and the page answers 400 with no rows, rather than
guess. Every field is escaped on the page (Jinja autoescaping); in the CSV a cell that a spreadsheet
would take for a formula (starting with = + - @) is prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, current_app, flash, render_template, request, stream_with_context
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import Select, select

from parking.models import AuditEvent, Operator
from parking.services import audit_queries
from parking.services.audit_queries import ACTION_MAX_CHARS, NO_OPERATOR, OPERATOR_MAX_CHARS, TARGET_MAX_CHARS, AuditQuery

from ..auth.roles import roles_required
from ..context import db
from ..queries import paginate
from . import bp
from .records import page_argument

PER_PAGE = 50
TEXT_MAX = {"operator": OPERATOR_MAX_CHARS, "action": ACTION_MAX_CHARS, "target": TARGET_MAX_CHARS, "from": 16, "to": 16}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class AuditFilter:
    operator: str = ""
    action: str = ""
    target: str = ""
    since: datetime | None = None  # inclusive, aware
    until: datetime | None = None  # exclusive, aware
    text: dict[str, str] = field(default_factory=dict)  # the arguments as given, to fill the form again
    errors: list[str] = field(default_factory=list)

    def arguments(self) -> dict[str, str]:
        return {key: value for key, value in self.text.items() if value}

    def query(self) -> AuditQuery:
        return AuditQuery(self.operator, self.action, self.target, self.since, self.until)


def _moment(text: str, tz: ZoneInfo, *, end: bool) -> datetime:
    """``YYYY-MM-DD`` (the whole day: its start, or with ``end`` the next day's start) or
    ``YYYY-MM-DDTHH:MM`` in ``tz``; ValueError otherwise."""
    if len(text) == 10:
        day = date.fromisoformat(text)
        return datetime.combine(day + timedelta(days=1) if end else day, time(0), tzinfo=tz)
    moment = datetime.strptime(text, "%Y-%m-%dT%H:%M")
    return moment.replace(tzinfo=tz) + (timedelta(minutes=1) if end else timedelta(0))


def read_filter(tz: ZoneInfo) -> AuditFilter:
    found = AuditFilter()
    for name, limit in TEXT_MAX.items():
        value = request.args.get(name, "").strip()
        found.text[name] = value[:limit]
        if len(value) > limit:
            found.errors.append(_("筛选条件“%(field)s”太长，最多 %(max)d 个字符。", field=name, max=limit))
        elif not value.isprintable():
            found.errors.append(_("筛选条件“%(field)s”含有无法识别的字符。", field=name))
    found.operator, found.action, found.target = found.text["operator"], found.text["action"], found.text["target"]
    for name, end in (("from", False), ("to", True)):
        value = found.text[name]
        if not value or any(name in error for error in found.errors):
            continue
        try:
            moment = _moment(value, tz, end=end)
        except ValueError:
            found.errors.append(_("时间“%(field)s”应为 2026-01-31 或 2026-01-31T08:30 的格式。", field=name))
            continue
        if end:
            found.until = moment
        else:
            found.since = moment
    if found.since and found.until and found.until <= found.since:
        found.errors.append(_("时间“to”应晚于“from”。"))
    if found.operator and not found.errors and not audit_queries.operator_known(db(), found.operator):
        found.errors.append(_("筛选条件“operator”：没有用户名为“%(name)s”的操作员。", name=found.operator))
    return found


def audit_query(chosen: AuditFilter) -> Select[tuple[AuditEvent, str | None]]:
    return audit_queries.select_events(chosen.query())


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime  # in the page's time zone
    operator: str  # "" for no operator
    action: str
    target: str
    remote_addr: str
    detail: str  # JSON, keys sorted


def _row(event: AuditEvent, username: str | None, tz: ZoneInfo) -> AuditRow:
    return AuditRow(event.id, event.at.astimezone(tz), username or "", event.action, event.target, event.remote_addr,
                    json.dumps(event.detail or {}, ensure_ascii=False, sort_keys=True))


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["PARKING_SETTINGS"].timezone)


@bp.route("/audit")
@roles_required("admin", "auditor")
def audit_log() -> ResponseReturnValue:
    tz = _tz()
    chosen = read_filter(tz)
    for error in chosen.errors:
        flash(error, "error")
    page = None
    rows: list[AuditRow] = []
    if not chosen.errors:
        page_number, valid = page_argument()
        query = audit_query(chosen)
        counted = paginate(db(), query.with_only_columns(AuditEvent.id), page_number, PER_PAGE, clamp=True)
        rows = [_row(event, username, tz) for event, username in audit_queries.events_by_id(db(), query, counted.items)]
        page = counted
        if not valid or counted.page != page_number:
            flash(_("页码无效或超出范围，显示第 %(page)d 页。", page=counted.page), "info")
    operators = list(db().scalars(select(Operator.username).order_by(Operator.username)))
    return render_template("console/audit_log.html", rows=rows, page=page, chosen=chosen, operators=operators, no_operator=NO_OPERATOR,
                           timezone=current_app.config["PARKING_SETTINGS"].timezone), (400 if chosen.errors else 200)


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


@bp.route("/audit.csv")
@roles_required("admin", "auditor")
def audit_log_csv() -> ResponseReturnValue:
    tz = _tz()
    chosen = read_filter(tz)
    if chosen.errors:
        return Response("\n".join(chosen.errors) + "\n", status=400, mimetype="text/plain")
    query = audit_query(chosen)

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["id", f"at ({tz.key})", "operator", "action", "target", "remote_addr", "detail"])
        yield "\ufeff" + buffer.getvalue()  # the byte order mark: spreadsheet programs then read UTF-8
        for event, username in db().execute(query.execution_options(yield_per=500)):
            buffer.seek(0)
            buffer.truncate()
            row = _row(event, username, tz)
            writer.writerow([row.id, row.at.isoformat(timespec="seconds"), *(_cell(v) for v in (row.operator, row.action, row.target, row.remote_addr, row.detail))])
            yield buffer.getvalue()

    response = Response(stream_with_context(lines()), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=audit-log.csv"
    response.headers["Cache-Control"] = "no-store"
    return response
