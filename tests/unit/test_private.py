"""Private files: folders 0700 and files 0600 whatever the umask, written atomically."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from parking.private import (
    ensure_private_dir,
    make_private,
    open_private,
    protect_instance,
    protect_sqlite,
    sqlite_path,
    write_private_bytes,
    write_private_text,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The worst case: a umask that would make every new file world-readable and writable."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def test_ensure_private_dir_creates_missing_parents_0700_and_leaves_existing_parents(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    folder = ensure_private_dir(tmp_path / "instance" / "agent")
    assert folder == tmp_path / "instance" / "agent"
    assert (mode(tmp_path / "instance"), mode(folder), mode(tmp_path)) == (0o700, 0o700, 0o755)


def test_ensure_private_dir_tightens_an_existing_folder(tmp_path: Path) -> None:
    (tmp_path / "open").mkdir(mode=0o777)
    (tmp_path / "open").chmod(0o777)
    ensure_private_dir(tmp_path / "open")
    assert mode(tmp_path / "open") == 0o700


def test_write_private_text_replaces_a_file_atomically_as_0600(tmp_path: Path) -> None:
    target = tmp_path / "agent" / "lot-1.json"
    write_private_text(target, '{"plate": "粤B12345"}')
    assert target.read_text(encoding="utf-8") == '{"plate": "粤B12345"}'
    assert (mode(target), mode(target.parent)) == (0o600, 0o700)
    target.chmod(0o644)
    write_private_bytes(target, b"{}")
    assert (target.read_bytes(), mode(target)) == (b"{}", 0o600)
    assert sorted(p.name for p in target.parent.iterdir()) == ["lot-1.json"]  # no temporary file left


def test_open_private_appends_to_a_0600_file_and_tightens_an_existing_one(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    with open_private(journal) as f:
        f.write("one\n")
    journal.chmod(0o666)
    with open_private(journal, "a") as f:
        f.write("two\n")
    assert (journal.read_text(), mode(journal)) == ("one\ntwo\n", 0o600)
    with open_private(journal, "wb") as f:
        f.write(b"three\n")
    assert (journal.read_bytes(), mode(journal)) == (b"three\n", 0o600)
    with pytest.raises(ValueError):
        open_private(journal, "r")


def test_make_private_sets_files_0600_folders_0700_and_skips_links_and_missing_paths(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    (tmp_path / "f").chmod(0o644)
    (tmp_path / "d").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "f")
    for name in ("f", "d", "link", "missing"):
        make_private(tmp_path / name)
    assert (mode(tmp_path / "f"), mode(tmp_path / "d")) == (0o600, 0o700)


def test_protect_instance_tightens_the_folder_and_what_is_directly_in_it(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    (instance / "snapshots" / "1").mkdir(parents=True)
    (instance / "secret_key").write_text("k")
    for path in (instance, instance / "snapshots", instance / "secret_key"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    protect_instance(instance)
    assert (mode(instance), mode(instance / "snapshots"), mode(instance / "secret_key")) == (0o700, 0o700, 0o600)


def test_protect_sqlite_creates_the_database_0600_so_its_journals_are_0600_too(tmp_path: Path) -> None:
    import sqlite3

    url = f"sqlite:///{tmp_path / 'db' / 'parking.sqlite'}"
    path = protect_sqlite(url)
    assert path == tmp_path / "db" / "parking.sqlite"
    assert (mode(path), mode(path.parent)) == (0o600, 0o700)
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE sessions (plate TEXT)")
        connection.execute("INSERT INTO sessions VALUES ('粤B12345')")
        connection.commit()
        sides = [path.with_name(path.name + s) for s in ("-wal", "-shm")]
        assert [mode(p) for p in sides] == [0o600, 0o600]
    finally:
        connection.close()


def test_protect_sqlite_tightens_an_existing_database_and_its_journal_files(tmp_path: Path) -> None:
    path = tmp_path / "parking.sqlite"
    for suffix in ("", "-wal", "-shm", "-journal"):
        p = path.with_name(path.name + suffix)
        p.write_bytes(b"")
        p.chmod(0o644)
    protect_sqlite(f"sqlite:///{path}")
    assert [mode(path.with_name(path.name + s)) for s in ("", "-wal", "-shm", "-journal")] == [0o600] * 4


def test_other_databases_are_not_files() -> None:
    assert sqlite_path("postgresql+psycopg://u@h/db") is None
    assert sqlite_path("sqlite://") is None
    assert sqlite_path("sqlite:///:memory:") is None
    assert protect_sqlite("postgresql+psycopg://u@h/db") is None
