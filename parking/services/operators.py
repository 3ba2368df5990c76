"""Operator accounts as an administrator manages them: create, change role and site bindings, disable and
enable, reset a password; and which lots an operator may see.

Every change is audited with the account's ``before`` and ``after`` (user name, display name, role,
sites, active, must change password: never a password or a hash) and committed with its audit row.
``actor_id`` is the administrator acting (None from the CLI, whose audit rows have no remote address).

A new account and a reset account must choose a new password at their next sign-in. Disabling and a
reset raise the account's session epoch, so every session it has ends at once (``accounts``). The system
is never left without an active administrator: disabling or demoting the last one is refused, and so
is disabling one's own account.

Site binding: an operator bound to sites (``OperatorSite``) sees and acts only on the lots of those
sites; one bound to none sees every lot. ``visible_lot_ids`` is that rule, the one place it lives.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ..models import Lot, Operator, OperatorSite, Role, Site
from ..passwords import PasswordPolicyError, check_policy, hash_password, temporary_password
from . import audit

USERNAME = re.compile(r"^[\w.@-]{2,64}$")  # letters (any script), digits, . _ - @; no spaces
DISPLAY_NAME_MAX_CHARS = 100
SITE_CODE_MAX_CHARS = 32  # ``Site.code``


class AccountError(ValueError):
    """An account change refused: ``field`` names the input at fault, ``code`` the reason (for messages
    in the interface's language), ``value`` the offending value when it helps to show it."""

    def __init__(self, field: str, code: str, message: str, value: str = "", limit: int = 0) -> None:
        super().__init__(message)
        self.field = field
        self.code = code
        self.value = value
        self.limit = limit


@dataclass(frozen=True)
class OperatorView:
    """An account as lists show it: no secret."""

    id: int
    username: str
    display_name: str
    role: str
    sites: tuple[str, ...]  # site codes; () = every site
    active: bool
    must_change_password: bool
    last_login_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class Issued:
    """An account created or reset, with the temporary password to hand over once (None when typed)."""

    operator: OperatorView
    temporary_password: str | None


# -- reads ------------------------------------------------------------------------------------------
def visible_lot_ids(db: Session, site_ids: Iterable[int] | None) -> set[int] | None:
    """The ids of the lots an operator bound to ``site_ids`` may see; None (every lot) when bound to none."""
    sites = set(site_ids or ())
    if not sites:
        return None
    return set(db.scalars(select(Lot.id).where(Lot.site_id.in_(sorted(sites)))))


def site_ids_of(db: Session, operator_id: int) -> frozenset[int]:
    return frozenset(db.scalars(select(OperatorSite.site_id).where(OperatorSite.operator_id == operator_id)))


def _site_codes(db: Session, operator: Operator) -> tuple[str, ...]:
    ids = [binding.site_id for binding in operator.sites]
    if not ids:
        return ()
    return tuple(sorted(db.scalars(select(Site.code).where(Site.id.in_(ids)))))


def view(db: Session, operator: Operator) -> OperatorView:
    return OperatorView(
        id=operator.id, username=operator.username, display_name=operator.display_name, role=operator.role.value,
        sites=_site_codes(db, operator), active=operator.active, must_change_password=operator.must_change_password,
        last_login_at=operator.last_login_at, created_at=operator.created_at,
    )


def list_operators(db: Session) -> list[OperatorView]:
    """Every account, by user name."""
    return [view(db, operator) for operator in db.scalars(select(Operator).order_by(Operator.username))]


def select_operators(db: Session, *, role: str | Role | None = None, active: bool | None = None,
                     site_code: str | None = None) -> Select[tuple[Operator]]:
    """The accounts of that role, state and site, by user name (None: any). ``site_code`` keeps the
    accounts bound to that site, not those bound to none (which see every site); an unknown role or
    site is an ``AccountError`` naming ``role`` or ``site``."""
    query = select(Operator).order_by(Operator.username)
    if role is not None:
        query = query.where(Operator.role == _role(role))
    if active is not None:
        query = query.where(Operator.active.is_(active))
    if site_code is not None:
        code = site_code.strip()
        site_id = db.scalar(select(Site.id).where(Site.code == code)) if len(code) <= SITE_CODE_MAX_CHARS else None
        if site_id is None:
            known = ", ".join(db.scalars(select(Site.code).order_by(Site.code))) or "none yet"
            raise AccountError("site", "unknown_site", f"site: no site {code[:SITE_CODE_MAX_CHARS]!r} (sites: {known})", code[:SITE_CODE_MAX_CHARS])
        query = query.where(Operator.sites.any(OperatorSite.site_id == site_id))
    return query


def site_choices(db: Session) -> list[tuple[str, str]]:
    """(code, name) of every site, by code: what an account can be bound to."""
    return [(site.code, site.name) for site in db.scalars(select(Site).order_by(Site.code))]


def find(db: Session, *, operator_id: int | None = None, username: str | None = None) -> Operator:
    """The account of that id or user name, else ``AccountError`` naming the field."""
    if operator_id is not None:
        operator = db.get(Operator, operator_id)
        if operator is None:
            raise AccountError("operator_id", "no_operator", f"operator_id: no operator {operator_id}", str(operator_id))
        return operator
    name = (username or "").strip()
    operator = db.scalar(select(Operator).where(Operator.username == name)) if len(name) <= 64 else None
    if operator is None:
        raise AccountError("username", "no_operator", f"username: no operator {name!r}", name)
    return operator


# -- checks -----------------------------------------------------------------------------------------
def _role(role: str | Role) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise AccountError("role", "unknown_role", f"role: {role!r} is not one of {', '.join(r.value for r in Role)}", str(role)) from None


def _username(db: Session, username: str) -> str:
    name = username.strip()
    if not USERNAME.match(name):
        raise AccountError("username", "username_invalid",
                           f"username: {name!r} must be 2 to 64 letters, digits or . _ - @ (no spaces)", name)
    if db.scalar(select(Operator.id).where(func.lower(Operator.username) == name.lower())) is not None:
        raise AccountError("username", "username_taken", f"username: {name!r} is already taken", name)
    return name


def _display_name(value: str, fallback: str) -> str:
    name = " ".join(value.split()) or fallback
    if len(name) > DISPLAY_NAME_MAX_CHARS or not name.isprintable():
        raise AccountError("display_name", "display_name_invalid",
                           f"display_name: at most {DISPLAY_NAME_MAX_CHARS} printable characters", limit=DISPLAY_NAME_MAX_CHARS)
    return name


def _sites(db: Session, codes: Iterable[str]) -> list[Site]:
    wanted = sorted({code.strip() for code in codes if code.strip()})
    if not wanted:
        return []
    found = {site.code: site for site in db.scalars(select(Site).where(Site.code.in_(wanted)))}
    unknown = [code for code in wanted if code not in found]
    if unknown:
        known = ", ".join(db.scalars(select(Site.code).order_by(Site.code))) or "none yet"
        raise AccountError("sites", "unknown_site", f"sites: no site {unknown[0]!r} (sites: {known})", unknown[0])
    return [found[code] for code in wanted]


def _password(password: str, username: str, field: str = "password") -> str:
    try:
        check_policy(password, username)
    except PasswordPolicyError as error:
        raise AccountError(field, error.rule, str(error), limit=error.limit) from None
    return password


def _other_active_admins(db: Session, operator_id: int) -> int:
    return db.scalar(select(func.count()).select_from(Operator).where(
        Operator.role == Role.ADMIN, Operator.active.is_(True), Operator.id != operator_id)) or 0


def _state(db: Session, operator: Operator) -> dict[str, Any]:
    shown = view(db, operator)
    return {"username": shown.username, "display_name": shown.display_name, "role": shown.role, "sites": list(shown.sites),
            "active": shown.active, "must_change_password": shown.must_change_password}


def _changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = [key for key in after if before.get(key) != after[key]]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


def check_new_account(db: Session, username: str, role: str | Role, *, display_name: str = "", sites: Iterable[str] = ()) -> None:
    """Raise ``AccountError`` when an account of these details could not be created (the password aside)."""
    name = _username(db, username)
    _role(role)
    _display_name(display_name, name)
    _sites(db, sites)


# -- writes -----------------------------------------------------------------------------------------
def create_operator(db: Session, username: str, role: str | Role, *, password: str | None = None, display_name: str = "",
                    sites: Iterable[str] = (), actor_id: int | None, now: datetime) -> Issued:
    """A new account that must change its password at first sign-in. With no ``password`` a temporary
    one is generated and returned (to be shown once). Audited (``operator.create``) and committed."""
    name = _username(db, username)
    chosen_role = _role(role)
    shown_name = _display_name(display_name, name)
    bound = _sites(db, sites)
    generated = password is None
    secret = temporary_password() if password is None else _password(password, name)
    operator = Operator(username=name, display_name=shown_name, role=chosen_role, password_hash=hash_password(secret),
                        active=True, created_at=now, must_change_password=True, session_epoch=0,
                        sites=[OperatorSite(site_id=site.id) for site in bound])
    db.add(operator)
    db.flush()
    audit.record(db, "operator.create", operator_id=actor_id, target=name, at=now, before={}, after=_state(db, operator),
                 generated_password=generated)
    db.commit()
    return Issued(view(db, operator), secret if generated else None)


def update_operator(db: Session, operator_id: int, *, role: str | Role | None = None, sites: Iterable[str] | None = None,
                    display_name: str | None = None, actor_id: int | None, now: datetime) -> OperatorView:
    """Change an account's role, site bindings (the complete new set) or display name. Nothing changed,
    nothing recorded; else audited (``operator.update``, the changed fields before and after) and committed."""
    operator = find(db, operator_id=operator_id)
    before = _state(db, operator)
    if role is not None:
        new_role = _role(role)
        if operator.role == Role.ADMIN and new_role != Role.ADMIN and operator.active and _other_active_admins(db, operator.id) == 0:
            raise AccountError("role", "last_admin", f"{operator.username!r} is the last active administrator; make another account an administrator first", operator.username)
        operator.role = new_role
    if display_name is not None:
        operator.display_name = _display_name(display_name, operator.username)
    if sites is not None:
        wanted = {site.id for site in _sites(db, sites)}
        kept = [binding for binding in operator.sites if binding.site_id in wanted]
        operator.sites = kept + [OperatorSite(site_id=site_id) for site_id in sorted(wanted - {b.site_id for b in kept})]
        db.flush()
    changed_before, changed_after = _changed(before, _state(db, operator))
    if changed_after:
        audit.record(db, "operator.update", operator_id=actor_id, target=operator.username, at=now, before=changed_before, after=changed_after)
    db.commit()
    return view(db, operator)


def set_active(db: Session, operator_id: int, active: bool, *, actor_id: int | None, now: datetime) -> OperatorView:
    """Disable (every session of the account ends) or enable an account. Audited (``operator.disable``,
    ``operator.enable``) and committed; doing what is already so changes and records nothing."""
    operator = find(db, operator_id=operator_id)
    if operator.active == active:
        return view(db, operator)
    if not active:
        if actor_id is not None and operator.id == actor_id:
            raise AccountError("operator_id", "own_account", "an administrator cannot disable their own account", operator.username)
        if operator.role == Role.ADMIN and _other_active_admins(db, operator.id) == 0:
            raise AccountError("operator_id", "last_admin", f"{operator.username!r} is the last active administrator; make another account an administrator first", operator.username)
    before = _state(db, operator)
    operator.active = active
    if not active:
        operator.session_epoch += 1
    audit.record(db, "operator.enable" if active else "operator.disable", operator_id=actor_id, target=operator.username, at=now,
                 before={"active": before["active"]}, after={"active": active})
    db.commit()
    return view(db, operator)


def reset_password(db: Session, operator_id: int, *, password: str | None = None, actor_id: int | None, now: datetime) -> Issued:
    """Give the account a temporary password (generated unless ``password`` is typed), to be changed at
    its next sign-in; every session of the account ends. Audited (``operator.reset_password``) and committed."""
    operator = find(db, operator_id=operator_id)
    if actor_id is not None and operator.id == actor_id:
        # A reset would sign the administrator out mid-task with a password someone else may have seen.
        raise AccountError("operator_id", "own_password", "an administrator changes their own password on the password page, not by a reset", operator.username)
    generated = password is None
    secret = temporary_password() if password is None else _password(password, operator.username)
    before = operator.must_change_password
    operator.password_hash = hash_password(secret)
    operator.must_change_password = True
    operator.session_epoch += 1
    audit.record(db, "operator.reset_password", operator_id=actor_id, target=operator.username, at=now,
                 before={"must_change_password": before}, after={"must_change_password": True}, generated_password=generated)
    db.commit()
    return Issued(view(db, operator), secret if generated else None)
