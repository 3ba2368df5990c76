"""Camera snapshots as the console shows them: the store under ``<instance>/snapshots`` and links to it.

Snapshots are personal data: they are served only to signed-in operators (``console.snapshot``), by the
relative path the worker stored on the stay, which ``SnapshotStore.open`` checks before any file is
touched. A snapshot purged after the retention, or a path the store refuses, simply has no link.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, url_for

from parking.snapshots import SnapshotError, SnapshotStore

THUMB_SUFFIX = ".thumb.jpg"


def snapshot_store() -> SnapshotStore:
    return SnapshotStore(current_app.config["PARKING_SETTINGS"].instance_path / "snapshots")


def thumb_of(path: str) -> str:
    """The thumbnail stored beside ``path`` (``a-scene.jpg`` → ``a-scene.thumb.jpg``)."""
    if path.endswith(THUMB_SUFFIX) or not path.endswith(".jpg"):
        return path
    return path[: -len(".jpg")] + THUMB_SUFFIX


def stored_file(path: str, *, thumb: bool = False) -> Path:
    """The file of a stored snapshot; ``SnapshotError`` for a refused path, ``FileNotFoundError`` if purged."""
    return snapshot_store().open(thumb_of(path) if thumb else path)


def snapshot_thumb_url(path: str | None) -> str | None:
    """The URL of the thumbnail of ``path``, or None when there is none to show (no path, refused, purged)."""
    if not path:
        return None
    try:
        stored_file(path, thumb=True)
    except (SnapshotError, FileNotFoundError):
        return None
    return url_for("console.snapshot", path=path, thumb=1)


def snapshot_url(path: str) -> str:
    return url_for("console.snapshot", path=path)


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(snapshot_thumb_url=snapshot_thumb_url, snapshot_url=snapshot_url)
