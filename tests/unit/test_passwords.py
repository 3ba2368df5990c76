"""The password policy, temporary passwords and argon2 hashes with a salt of their own."""

from __future__ import annotations

import pytest

from parking.passwords import (
    PasswordPolicyError, character_classes, check_policy, hash_password, needs_rehash, temporary_password, verify_password,
)


@pytest.mark.parametrize(("password", "username", "rule"), [
    ("Short-1", "", "too_short"),
    ("x" * 257 + "A", "", "too_long"),
    ("abcdefghijk", "", "one_class"),
    ("ABCDEFGHIJK", "", "one_class"),
    ("12345678901", "", "one_class"),
    ("停车场管理员的密码很长", "", "one_class"),
    ("Tab\there-password", "", "control"),
    ("Booth.Keeper", "booth.keeper", "username"),
])
def test_policy_names_the_rule_broken(password: str, username: str, rule: str) -> None:
    with pytest.raises(PasswordPolicyError) as caught:
        check_policy(password, username)
    assert caught.value.rule == rule


@pytest.mark.parametrize("password", ["correct horse battery staple", "Abcdefghij", "停车场管理员密码2026", "booth.keeper2", "demo-password"])
def test_policy_accepts_two_kinds_of_characters_and_ten_of_them(password: str) -> None:
    check_policy(password, "booth.keeper")


def test_the_length_message_counts_what_was_given() -> None:
    with pytest.raises(PasswordPolicyError, match="^password must have at least 10 characters, got 3$"):
        check_policy("Ab1")


def test_character_classes() -> None:
    assert [character_classes(p) for p in ("abc", "aB", "aB1", "aB1-", "中文")] == [1, 2, 3, 4, 1]


def test_temporary_passwords_meet_the_policy_and_differ() -> None:
    made = {temporary_password() for _ in range(50)}
    assert len(made) == 50
    for password in made:
        check_policy(password)
        assert len(password) == 14 and not set(password) & set("0O1lI")


def test_each_hash_has_its_own_salt() -> None:
    first, second = hash_password("demo-password"), hash_password("demo-password")
    assert first != second
    assert verify_password(first, "demo-password") and verify_password(second, "demo-password")
    assert not verify_password(first, "demo-passwore")
    assert not needs_rehash(first)


def test_a_broken_hash_never_verifies_and_asks_to_be_replaced() -> None:
    assert not verify_password("not a hash", "anything")
    assert needs_rehash("not a hash")
