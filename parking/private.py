"""Files that hold personal data (plates, snapshots, passes, lists) are readable by their owner only.

Folders are 0700 and files 0600, whatever the process's umask. Use these instead of ``Path.mkdir``,
``Path.write_text`` and ``open`` for anything written under the instance folder:

- ``ensure_private_dir(path)``: create a folder (and missing parents) as 0700, or tighten an existing one;
- ``write_private_text(path, text)`` / ``write_private_bytes(path, data)``: replace a file atomically
  (temporary file, fsync, rename) with a 0600 one;
- ``open_private(path, mode)``: open a file for appending or writing, created 0600 (an existing file is
  tightened first), e.g. a journal of JSON lines;
- ``make_private(path)``: tighten one existing file (0600) or folder (0700);
- ``protect_instance(folder)`` and ``protect_sqlite(database_url)``: what every process does at start.

SQLite creates its ``-wal``, ``-shm`` and ``-journal`` files with the mode of the database file, so a
database file created 0600 keeps them private too. Standard library only; no logging of paths' contents.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import IO, Any

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")

__all__ = [
    "PRIVATE_DIR_MODE",
    "PRIVATE_FILE_MODE",
    "ensure_private_dir",
    "make_private",
    "open_private",
    "protect_instance",
    "protect_sqlite",
    "sqlite_path",
    "write_private_bytes",
    "write_private_text",
]


def ensure_private_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` and any missing parents as 0700 folders; an existing ``path`` is set to 0700.

    Parents that already exist are left as they are (a shared ``/srv`` stays shared)."""
    folder = Path(path)
    missing: list[Path] = []
    probe = folder
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for created in reversed(missing):
        try:
            created.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:
            pass  # another process made it meanwhile; its mode is set below
        os.chmod(created, PRIVATE_DIR_MODE)  # mkdir's mode is filtered through the umask
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} exists and is not a folder")
    if stat.S_IMODE(folder.stat().st_mode) != PRIVATE_DIR_MODE:
        os.chmod(folder, PRIVATE_DIR_MODE)
    return folder


def make_private(path: str | os.PathLike[str]) -> None:
    """Set an existing folder to 0700 or file to 0600; a missing path or a symbolic link is left alone."""
    target = Path(path)
    try:
        info = target.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        return
    wanted = PRIVATE_DIR_MODE if stat.S_ISDIR(info.st_mode) else PRIVATE_FILE_MODE
    if stat.S_IMODE(info.st_mode) != wanted:
        os.chmod(target, wanted)


def _parent(path: Path) -> None:
    if not path.parent.exists():
        ensure_private_dir(path.parent)


def write_private_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically, as a 0600 file fsynced before it takes the name."""
    target = Path(path)
    _parent(target)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")  # mkstemp: 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_private_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    """Replace ``path`` with ``text`` atomically, as a 0600 file (see ``write_private_bytes``)."""
    write_private_bytes(path, text.encode(encoding))


def open_private(path: str | os.PathLike[str], mode: str = "a", encoding: str | None = "utf-8") -> IO[Any]:
    """``open(path, mode)`` for writing or appending (``"a"``, ``"w"``, ``"ab"``, ``"wb"``, ``"a+"``…), with the
    file created 0600 and an existing one set to 0600 before anything is written to it."""
    if not mode or mode[0] not in "aw" or "x" in mode:
        raise ValueError(f"open_private is for writing or appending, not mode {mode!r}")
    target = Path(path)
    _parent(target)
    flags = os.O_CREAT | (os.O_APPEND if mode[0] == "a" else os.O_TRUNC)
    flags |= os.O_RDWR if "+" in mode else os.O_WRONLY
    flags |= getattr(os, "O_CLOEXEC", 0)
    fd = os.open(target, flags, PRIVATE_FILE_MODE)
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)
        if "b" in mode:
            return os.fdopen(fd, mode)
        return os.fdopen(fd, mode, encoding=encoding)
    except BaseException:
        os.close(fd)
        raise


def sqlite_path(database_url: str) -> Path | None:
    """The file of a SQLite URL (``sqlite:///path``), or None for other databases and in-memory ones."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if not url.drivername.startswith("sqlite"):
        return None
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).resolve()


def protect_sqlite(database_url: str) -> Path | None:
    """Create the SQLite file of ``database_url`` empty as 0600 if it does not exist yet (SQLite then
    creates its journal files 0600 too), and set it and its journal files to 0600 if they do."""
    path = sqlite_path(database_url)
    if path is None:
        return None
    _parent(path)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE_MODE))
    except FileExistsError:
        pass
    for candidate in (path, *(path.with_name(path.name + suffix) for suffix in SQLITE_SIDE_FILES)):
        make_private(candidate)
    return path


def protect_instance(folder: str | os.PathLike[str]) -> Path:
    """Make the instance folder 0700, the files directly in it 0600 and the folders directly in it 0700.

    Deeper levels are not walked (the snapshot store may hold many thousands of files): the 0700 folders
    above them already keep every other user out, and the code that writes them uses this module."""
    root = ensure_private_dir(folder)
    with os.scandir(root) as entries:
        for entry in entries:
            if not entry.is_symlink():
                make_private(entry.path)
    return root
