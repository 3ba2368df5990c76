"""Integration tokens for the JSON API: issuing, listing, revoking, and checking the one a request presents.

A token is ``pk_`` followed by 32 URL-safe random characters. It is shown once, when it is issued; only
its SHA-256 (hex) is stored, with its first characters (``prefix``, e.g. ``pk_Ab3dE9xZ``) to name it on
screen, in the audit log and to ``parking token revoke``. A token carries scopes (``SCOPES``), each
opening a family of API routes; ``admin`` opens every route. It may expire, and it can be revoked; a
revoked or expired token is refused with the reason, and is never valid again.

``check_token`` is what the web layer calls for ``Authorization: Bearer``: it returns the token or raises
``TokenRejected`` saying why, and stamps ``last_used_at`` at most once a minute (a busy integration does
not write a row per request). Issuing and revoking are audited (``token.create``, ``token.revoke``) with
the name, prefix and scopes, never the token or its hash. Each function that changes a token commits
the change with its audit row.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import ApiToken
from . import audit

ADMIN_SCOPE = "admin"
SCOPES: dict[str, str] = {
    "availability:read": "live occupancy and free spaces of lots",
    "lots:read": "lots with their zones and pools, and the tariffs that price them",
    "sessions:read": "parking sessions, and the fee a parked car would pay",
    "passes:read": "passes and their plates, whitelist and blacklist entries, visitor registrations",
    "passes:write": "issuing and changing passes, list entries and visitor registrations",
    "lanes:read": "lanes, and the fate of commands sent to them",
    "lanes:write": "opening and closing gates by hand, and texts on lane boards",
    "payments:read": "payments with their refunds, and arrears (欠费) with their ageing",
    "payments:write": "recording payments",
    "reports:read": "revenue reports and the reconciliation of the payment platforms' bills",
    "shifts:read": "attendants' shifts (交班) and their reports",
    "shifts:write": "opening and closing shifts, and confirming closed ones",
    "coupons:read": "merchants, the coupons they issued and used, and the lots' campaigns",
    "coupons:write": "merchants, their coupons and the lots' campaigns: creating, changing, issuing and voiding",
    ADMIN_SCOPE: "everything, including site configuration, accounts and tokens (implies every other scope)",
}

TOKEN_PREFIX = "pk_"
SECRET_CHARS = 32  # after the "pk_": 24 random bytes, URL-safe base64
PREFIX_CHARS = len(TOKEN_PREFIX) + 8  # what names a token on screen; ApiToken.prefix holds 16
NAME_MAX_CHARS = 100  # ApiToken.name
MAX_EXPIRES_DAYS = 3650
LAST_USED_EVERY = timedelta(minutes=1)
MAX_ID = 2**31 - 1  # ApiToken.id is an SQL INTEGER
_TOKEN = re.compile(rf"{TOKEN_PREFIX}[A-Za-z0-9_-]{{{SECRET_CHARS}}}")
_PREFIX = re.compile(rf"{TOKEN_PREFIX}[A-Za-z0-9_-]{{1,{SECRET_CHARS}}}")


class TokenError(ValueError):
    """A token that cannot be issued or found as asked; ``field`` names what was wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class TokenRejected(Exception):
    """A presented token that opens nothing: ``reason`` is malformed, unknown, revoked or expired."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class IssuedToken:
    """A token just issued: its row, and the token itself, which exists nowhere else once this is gone."""

    row: ApiToken
    secret: str


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def grants(scopes: Iterable[str], scope: str) -> bool:
    """Whether a token holding ``scopes`` may use a route that needs ``scope``."""
    held = set(scopes)
    return scope in held or ADMIN_SCOPE in held


def state(token: ApiToken, now: datetime) -> str:
    """``revoked``, ``expired`` or ``active`` at ``now``."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


def _name(name: str) -> str:
    name = name.strip()
    if not name:
        raise TokenError("name", "must not be empty: say what the token is for, e.g. the integration's name")
    if len(name) > NAME_MAX_CHARS:
        raise TokenError("name", f"must be at most {NAME_MAX_CHARS} characters, not {len(name)}")
    if any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in name):
        raise TokenError("name", "must not hold control characters or lone surrogates")
    return name


def _scopes(scopes: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(scopes))  # in the order given, once each
    if not wanted:
        raise TokenError("scopes", f"give at least one scope; scopes are {', '.join(SCOPES)}")
    unknown = [scope for scope in wanted if scope not in SCOPES]
    if unknown:
        shown = ", ".join(repr(scope[:40]) for scope in unknown[:5])
        raise TokenError("scopes", f"unknown scope {shown}; scopes are {', '.join(SCOPES)}")
    return [scope for scope in SCOPES if scope in wanted]  # stored in the one order of SCOPES


def issue_token(db: Session, *, name: str, scopes: Iterable[str], now: datetime, expires_days: int | None = None,
                operator_id: int | None = None) -> IssuedToken:
    """Issue a token named ``name`` with ``scopes``, valid for ``expires_days`` days (forever if None).

    Raises ``TokenError`` naming the field (``name``, ``scopes``, ``expires_days``) and writes nothing when
    one is wrong. Audited and committed; the token itself is only in the returned value.
    """
    name = _name(name)
    granted = _scopes(scopes)
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRES_DAYS:
        raise TokenError("expires_days", f"must be from 1 to {MAX_EXPIRES_DAYS} days, not {expires_days}")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(24)
    row = ApiToken(
        name=name, prefix=secret[:PREFIX_CHARS], token_hash=hash_token(secret), scopes=granted, created_by_id=operator_id,
        created_at=now, expires_at=now + timedelta(days=expires_days) if expires_days is not None else None,
    )
    db.add(row)
    db.flush()
    audit.record(db, "token.create", operator_id=operator_id, target=f"token {row.id} {row.prefix}", at=now, name=name,
                 prefix=row.prefix, scopes=granted, expires_at=row.expires_at.isoformat() if row.expires_at else None)
    db.commit()
    return IssuedToken(row, secret)


def list_tokens(db: Session) -> list[ApiToken]:
    """Every token ever issued, oldest first (revoked and expired ones too)."""
    return list(db.scalars(select(ApiToken).order_by(ApiToken.id)))


def find_token(db: Session, ref: str | int) -> ApiToken:
    """The token whose id is ``ref``, or whose prefix starts with ``ref`` (``pk_…``): exactly one, or ``TokenError``."""
    text = str(ref).strip()
    if text.isascii() and text.isdigit():
        token = db.get(ApiToken, int(text)) if len(text) <= 10 and int(text) <= MAX_ID else None
        if token is None:
            raise TokenError("token", f"no token with id {text}")
        return token
    if not _PREFIX.fullmatch(text):
        raise TokenError("token", f"{text[:40]!r} is neither a token id nor a token prefix such as pk_Ab3dE9xZ")
    if len(text) > PREFIX_CHARS:  # a whole token, or more of it than is kept: its first characters name it
        text = text[:PREFIX_CHARS]
    found = list(db.scalars(select(ApiToken).where(ApiToken.prefix.startswith(text, autoescape=True)).order_by(ApiToken.id)))
    if not found:
        raise TokenError("token", f"no token with the prefix {text}")
    if len(found) > 1:
        raise TokenError("token", f"the prefix {text} names {len(found)} tokens (ids {', '.join(str(t.id) for t in found)}); give the id")
    return found[0]


def revoke_token(db: Session, token: ApiToken, *, now: datetime, operator_id: int | None = None) -> bool:
    """Revoke ``token`` from ``now`` on: True if it was revoked now, False if it already was (nothing written).
    Audited and committed."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = now
    audit.record(db, "token.revoke", operator_id=operator_id, target=f"token {token.id} {token.prefix}", at=now,
                 name=token.name, prefix=token.prefix)
    db.commit()
    return True


def check_token(db: Session, secret: str, *, now: datetime) -> ApiToken:
    """The token ``secret`` is, if it is valid at ``now`` (stamping ``last_used_at`` at most once a minute);
    otherwise ``TokenRejected`` saying why."""
    if not _TOKEN.fullmatch(secret):
        raise TokenRejected("malformed", f"the bearer token is not a parking API token ({TOKEN_PREFIX} and {SECRET_CHARS} characters)")
    token = db.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None:
        raise TokenRejected("unknown", "unknown API token: it was mistyped, or never issued here")
    if token.revoked_at is not None:
        raise TokenRejected("revoked", f"API token {token.prefix} was revoked at {token.revoked_at.isoformat()}")
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenRejected("expired", f"API token {token.prefix} expired at {token.expires_at.isoformat()}")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY or now < token.last_used_at:
        token.last_used_at = now
        db.commit()
    return token
