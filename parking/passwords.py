"""Operator passwords: hashed with argon2id (argon2-cffi's recommended parameters, a fresh salt in every
hash), the password policy, and temporary passwords.

The policy (``check_policy``) applies whenever a password is chosen, by the CLI, the console or a reset:
at least ``MIN_LENGTH`` characters and at most ``MAX_LENGTH``, characters of at least two classes
(lower-case letters, upper-case letters, digits, anything else), no control characters, and not the
user name. A ``PasswordPolicyError`` names the rule broken (``rule``) so each interface can say it in
its own language; its message is the English one-liner. ``hash_password`` itself only refuses an empty
password, so a hash can still be made of an old password that predates the policy (rehashing at sign-in).
"""

from __future__ import annotations

import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

MIN_LENGTH = 10
MAX_LENGTH = 256  # the sign-in form's bound: argon2 takes any length, a request should not
TEMPORARY_LENGTH = 14
# No look-alikes (0/O, 1/l/I) in a temporary password that is read off a screen and typed at a booth.
_TEMPORARY_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")


class WeakPasswordError(ValueError):
    """The password cannot be accepted."""


class PasswordPolicyError(WeakPasswordError):
    """A chosen password breaks the policy; ``rule`` names which rule, ``limit`` the number it concerns."""

    def __init__(self, rule: str, message: str, limit: int = 0) -> None:
        super().__init__(message)
        self.rule = rule  # too_short | too_long | one_class | control | username
        self.limit = limit


def character_classes(password: str) -> int:
    """How many of lower-case letters, upper-case letters, digits and other characters ``password`` uses."""
    classes = set()
    for char in password:
        if char.isascii() and char.islower():
            classes.add("lower")
        elif char.isascii() and char.isupper():
            classes.add("upper")
        elif char.isascii() and char.isdigit():
            classes.add("digit")
        else:
            classes.add("other")
    return len(classes)


def check_policy(password: str, username: str = "") -> None:
    """Raise ``PasswordPolicyError`` when ``password`` may not be chosen by the operator ``username``."""
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError("too_short", f"password must have at least {MIN_LENGTH} characters, got {len(password)}", MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise PasswordPolicyError("too_long", f"password must have at most {MAX_LENGTH} characters, got {len(password)}", MAX_LENGTH)
    if any(not char.isprintable() for char in password):
        raise PasswordPolicyError("control", "password must not contain control characters (tabs, line breaks...)")
    if character_classes(password) < 2:
        raise PasswordPolicyError("one_class", "password must mix at least two kinds of characters: lower-case letters, "
                                               "upper-case letters, digits, other characters")
    if username and password.strip().casefold() == username.strip().casefold():
        raise PasswordPolicyError("username", "password must not be the user name")


def temporary_password() -> str:
    """A random password that meets the policy, for a new account or a reset (shown once, changed at sign-in)."""
    while True:
        candidate = "".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(TEMPORARY_LENGTH))
        if character_classes(candidate) >= 3:
            return candidate


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` with its own random salt."""
    if not password:
        raise WeakPasswordError("password must not be empty")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
