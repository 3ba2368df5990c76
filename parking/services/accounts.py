"""Operator accounts: signing in and out, changing one's own password, and the language an operator
reads the console in. Creating, disabling and resetting other accounts is ``parking.services.operators``.

``sign_in`` checks a user name and password (argon2), rehashes a password stored with older
parameters, stamps ``last_login_at`` and leaves an audit row: ``auth.login``, or ``auth.login_failed``
with the reason (``unknown_user``, ``wrong_password``, ``inactive``; never the password). An unknown
user name costs the same hashing time as a wrong password, so a name's existence cannot be timed.

Sessions: a console session remembers the operator's ``session_epoch`` at sign-in and is honoured only
while it is still the operator's (``session_valid``). Signing out, changing the password, a reset and
disabling raise the epoch, which ends every session of that account at once, on every device, including
a copy of the session cookie kept from before.

Each function commits its own change with its audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Operator
from ..passwords import PasswordPolicyError, WeakPasswordError, check_policy, hash_password, needs_rehash, verify_password
from . import audit

USERNAME_MAX_CHARS = 64  # Operator.username
LANGUAGE_MAX_CHARS = 8  # Operator.language


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: the operator when it succeeded, else why it failed."""

    operator: Operator | None
    reason: str = ""  # "" | unknown_user | wrong_password | inactive

    @property
    def ok(self) -> bool:
        return self.operator is not None and not self.reason


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return hash_password("decoy password for unknown user names")


def sign_in(db: Session, username: str, password: str, *, now: datetime) -> SignIn:
    """Check ``username`` and ``password``; on success stamp ``last_login_at = now``. Audited and committed."""
    username = username.strip()
    operator = db.scalar(select(Operator).where(Operator.username == username)) if len(username) <= USERNAME_MAX_CHARS else None
    if operator is None:
        verify_password(_decoy_hash(), password)
        reason = "unknown_user"
    elif not verify_password(operator.password_hash, password):
        reason = "wrong_password"
    elif not operator.active:
        reason = "inactive"
    else:
        reason = ""
    if reason:
        audit.record(db, "auth.login_failed", operator_id=operator.id if operator else None, target=username, at=now, reason=reason)
        db.commit()
        return SignIn(None, reason)
    assert operator is not None
    if needs_rehash(operator.password_hash):
        try:
            operator.password_hash = hash_password(password)
        except WeakPasswordError:
            pass  # an old short password still works; it is replaced when the operator changes it
    operator.last_login_at = now
    audit.record(db, "auth.login", operator_id=operator.id, target=username, at=now)
    db.commit()
    return SignIn(operator)


def session_valid(operator: Operator | None, epoch: object) -> bool:
    """Whether a session that remembers ``epoch`` may still act as ``operator`` (active, epoch current)."""
    return operator is not None and operator.active and isinstance(epoch, int) and epoch == operator.session_epoch


def sign_out(db: Session, operator_id: int, username: str, *, now: datetime) -> None:
    """Record that the operator signed out and end every session of the account. Audited and committed."""
    operator = db.get(Operator, operator_id)
    if operator is not None:
        operator.session_epoch += 1
    audit.record(db, "auth.logout", operator_id=operator_id, target=username, at=now)
    db.commit()


class PasswordChangeError(ValueError):
    """A password change refused: ``field`` is the form field at fault (``current_password`` or
    ``new_password``), ``rule`` why (``wrong_password``, ``unchanged``, or a policy rule of
    ``parking.passwords``), ``limit`` the number a length rule concerns."""

    def __init__(self, field: str, rule: str, message: str, limit: int = 0) -> None:
        super().__init__(message)
        self.field = field
        self.rule = rule
        self.limit = limit


def change_password(db: Session, operator_id: int, current: str, new: str, *, now: datetime) -> int:
    """Replace the operator's password after checking the current one; the policy applies and the new
    password must differ. Clears ``must_change_password``, stamps ``password_changed_at`` and raises the
    session epoch (every other session of the account ends); returns the new epoch, for the session
    that made the change to keep. Audited (``auth.password_changed``, no secret) and committed."""
    operator = db.get(Operator, operator_id)
    if operator is None or not operator.active:
        raise PasswordChangeError("current_password", "wrong_password", "no active operator of that id")
    if not verify_password(operator.password_hash, current):
        audit.record(db, "auth.password_change_failed", operator_id=operator.id, target=operator.username, at=now, reason="wrong_password")
        db.commit()
        raise PasswordChangeError("current_password", "wrong_password", "current_password: not the operator's password")
    try:
        check_policy(new, operator.username)
    except PasswordPolicyError as error:
        raise PasswordChangeError("new_password", error.rule, f"new {error}", error.limit) from None
    if new == current:
        raise PasswordChangeError("new_password", "unchanged", "new_password: must differ from the current password")
    forced = operator.must_change_password
    operator.password_hash = hash_password(new)
    operator.must_change_password = False
    operator.password_changed_at = now
    operator.session_epoch += 1
    audit.record(db, "auth.password_changed", operator_id=operator.id, target=operator.username, at=now, forced=forced)
    db.commit()
    return operator.session_epoch


def set_language(db: Session, operator_id: int, language: str) -> bool:
    """Save ``language`` (a code the caller checked, e.g. "en") as the operator's; False if no such operator."""
    if not language or len(language) > LANGUAGE_MAX_CHARS:
        raise ValueError(f"language code {language!r} is not 1 to {LANGUAGE_MAX_CHARS} characters")
    operator = db.get(Operator, operator_id)
    if operator is None:
        return False
    if operator.language != language:
        operator.language = language
        db.commit()
    return True
