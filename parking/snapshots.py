"""Camera snapshots on disk: decoded with care, re-encoded clean, stored with a thumbnail, purged on time.

Cameras send a scene JPEG and a plate crop with every read. Both are sensitive personal information: the
bytes come from a device on the network, so they are refused before decoding when too large, checked for
pixel count before any pixel is decompressed, accepted only as JPEG or PNG, turned upright by their EXIF
orientation and then re-encoded into a fresh JPEG that carries no metadata at all (EXIF may hold GPS, a
JPEG comment or XMP may hold anything). Files are written atomically, so a reader never sees half an image.

Layout under the store's folder, dates in UTC::

    <lot_id>/<YYYY-MM-DD>/<ref>-<kind>.jpg
    <lot_id>/<YYYY-MM-DD>/<ref>-<kind>.thumb.jpg

``purge(now)`` removes whole day folders once every file in them is older than the retention, so a
snapshot is kept at least ``retention_days`` and at most one day longer. What links a snapshot to its
session, and when purging runs, belongs to the agent and the worker, not here.
"""

from __future__ import annotations

import io
import re
import threading
import warnings
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path, PurePosixPath

from PIL import Image, ImageOps, UnidentifiedImageError

from .private import ensure_private_dir, write_private_bytes

KINDS = frozenset({"scene", "plate"})
REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
LOT_DIR = re.compile(r"[0-9]+")
DAY_DIR = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
STORED_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*-(?:scene|plate)(?:\.thumb)?\.jpg")

# Magic numbers: JPEG and PNG are decoded; the others are recognised only to say why they are refused.
ACCEPTED = ((b"\xff\xd8\xff", "JPEG"), (b"\x89PNG\r\n\x1a\n", "PNG"))
RECOGNISED = ((b"GIF87a", "GIF"), (b"GIF89a", "GIF"), (b"BM", "BMP"), (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"),
              (b"\x00\x00\x01\x00", "ICO"), (b"8BPS", "PSD"), (b"\xff\x4f\xff\x51", "JPEG 2000"),
              (b"\x00\x00\x00\x0cjP  ", "JPEG 2000"), (b"%PDF", "PDF"), (b"<svg", "SVG"), (b"<?xml", "XML"))

# warnings.catch_warnings swaps process-wide state; decoding one image at a time keeps our own swaps from
# interleaving when several lanes save at once.
_DECODE_LOCK = threading.Lock()


class SnapshotError(ValueError):
    """A snapshot that cannot be stored or a stored path that cannot be served, with the reason."""


@dataclass(frozen=True)
class Snapshot:
    """A stored snapshot: paths relative to the store's folder (POSIX separators), size of the full image."""

    path: str
    thumb: str
    width: int
    height: int
    bytes: int


def _utc_day(at: datetime) -> date:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at.isoformat()} given where an aware one is required")
    return at.astimezone(timezone.utc).date()


def _sniff(data: bytes) -> str:
    for magic, name in ACCEPTED:
        if data.startswith(magic):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        raise SnapshotError("unsupported format WEBP: expected a JPEG or PNG image")
    if data[4:8] == b"ftyp":
        raise SnapshotError(f"unsupported format {data[8:12].decode('ascii', 'replace').strip() or 'ISO media'}: "
                            "expected a JPEG or PNG image")
    for magic, name in RECOGNISED:
        if data.startswith(magic):
            raise SnapshotError(f"unsupported format {name}: expected a JPEG or PNG image")
    raise SnapshotError(f"not an image: the first bytes {data[:8].hex(' ') or '(none)'} are neither JPEG nor PNG")


def _flatten(image: Image.Image) -> Image.Image:
    """A new RGB image with the pixels only: no info dict, so no EXIF, XMP, ICC profile or comment survives."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        clean = Image.new("RGB", rgba.size, (255, 255, 255))
        clean.paste(rgba, mask=rgba.getchannel("A"))
        return clean
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        # 16-bit grey: keep the top 8 bits rather than letting the conversion clip everything bright to white.
        image = image.point(lambda v: v / 256).convert("L")
    clean = Image.new("RGB", image.size)
    clean.paste(image.convert("RGB"))
    return clean


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


class SnapshotStore:
    """Snapshots of one site under ``folder``; safe to share between lanes (threads)."""

    def __init__(self, folder: Path, *, max_bytes: int = 4 * 1024 * 1024, max_pixels: int = 12_000_000,
                 thumbnail: tuple[int, int] = (320, 180), quality: int = 85, retention_days: int = 30) -> None:
        if max_bytes <= 0 or max_pixels <= 0:
            raise ValueError(f"max_bytes ({max_bytes}) and max_pixels ({max_pixels}) must be positive")
        if len(thumbnail) != 2 or min(thumbnail) <= 0:
            raise ValueError(f"thumbnail {thumbnail!r} must be two positive sizes (width, height)")
        if not 1 <= quality <= 95:
            raise ValueError(f"quality {quality} must be between 1 and 95")
        if retention_days < 1:
            raise ValueError(f"retention_days {retention_days} must be at least 1")
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self.thumbnail = (int(thumbnail[0]), int(thumbnail[1]))
        self.quality = quality
        self.retention_days = retention_days

    # -- storing -----------------------------------------------------------------------------------------

    def save(self, lot_id: int, at: datetime, kind: str, data: bytes, *, ref: str) -> Snapshot:
        """Store ``data`` (JPEG or PNG bytes) as the ``kind`` snapshot of event or session ``ref``.

        Saving the same ``ref`` and ``kind`` on the same day again replaces the earlier files, so a camera
        that resends a read does not leave duplicates.
        """
        if isinstance(lot_id, bool) or not isinstance(lot_id, int) or lot_id < 0:
            raise ValueError(f"lot_id {lot_id!r} must be a non-negative integer")
        if kind not in KINDS:
            raise ValueError(f"kind {kind!r} must be one of {', '.join(sorted(KINDS))}")
        if not isinstance(ref, str) or not REF.fullmatch(ref):
            raise ValueError(f"ref {ref!r} must be 1-64 letters, digits, '-' or '_', starting with a letter or digit")
        day = _utc_day(at)
        full, thumb, size = self._reencode(bytes(data))
        folder = f"{lot_id}/{day.isoformat()}"
        name = f"{ref}-{kind}"
        path, thumb_path = f"{folder}/{name}.jpg", f"{folder}/{name}.thumb.jpg"
        target = self.folder / folder
        ensure_private_dir(target)  # camera pictures are personal data: folders 0700, files 0600
        self._write(target / f"{name}.thumb.jpg", thumb)
        try:
            self._write(target / f"{name}.jpg", full)
        except BaseException:
            (target / f"{name}.thumb.jpg").unlink(missing_ok=True)
            raise
        return Snapshot(path=path, thumb=thumb_path, width=size[0], height=size[1], bytes=len(full))

    def _reencode(self, data: bytes) -> tuple[bytes, bytes, tuple[int, int]]:
        if len(data) > self.max_bytes:
            raise SnapshotError(f"too large: {len(data)} bytes, the limit is {self.max_bytes}")
        fmt = _sniff(data)
        with _DECODE_LOCK, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Corrupt EXIF only warns; the EXIF is thrown away anyway, so it is not worth a log line per read.
            warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")
            try:
                image = Image.open(io.BytesIO(data), formats=[fmt])
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
                raise SnapshotError(f"too many pixels: refused before decoding ({e})") from None
            except UnidentifiedImageError:
                raise SnapshotError(f"not an image: starts like a {fmt} but its header cannot be read") from None
            except (OSError, SyntaxError, ValueError, EOFError) as e:
                raise SnapshotError(f"not an image: starts like a {fmt} but its header cannot be read ({e})") from None
            with image:
                width, height = image.size
                if width <= 0 or height <= 0:
                    raise SnapshotError(f"not an image: {fmt} header gives an empty size {width}x{height}")
                if width * height > self.max_pixels:
                    raise SnapshotError(f"too many pixels: {width}x{height} = {width * height}, "
                                        f"the limit is {self.max_pixels}")
                try:
                    image.load()
                    upright = ImageOps.exif_transpose(image)
                    clean = _flatten(upright)
                except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
                    raise SnapshotError(f"too many pixels: refused while decoding ({e})") from None
                except (OSError, SyntaxError, ValueError, EOFError, IndexError) as e:
                    raise SnapshotError(f"truncated or corrupt {fmt} image ({e})") from None
        full = _jpeg(clean, self.quality)
        small = clean.copy()
        small.thumbnail(self.thumbnail)
        return full, _jpeg(small, self.quality), clean.size

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        write_private_bytes(path, data)  # atomic, fsynced, 0600

    # -- retention ---------------------------------------------------------------------------------------

    def purge(self, now: datetime) -> int:
        """Delete the day folders whose every snapshot is older than the retention; return the files removed.

        Only ``<digits>/<YYYY-MM-DD>`` folders directly under the store's folder are considered; symbolic
        links are removed as links, never followed, and anything else is left where it is.
        """
        keep_from = _utc_day(now - timedelta(days=self.retention_days))
        removed = 0
        if not self.folder.is_dir():
            return 0
        for lot in sorted(self.folder.iterdir()):
            if not LOT_DIR.fullmatch(lot.name) or lot.is_symlink() or not lot.is_dir():
                continue
            for day in sorted(lot.iterdir()):
                if not DAY_DIR.fullmatch(day.name) or day.is_symlink() or not day.is_dir():
                    continue
                try:
                    when = date.fromisoformat(day.name)
                except ValueError:
                    continue
                if when >= keep_from:
                    continue
                removed += self._empty(day)
        return removed

    @staticmethod
    def _empty(day: Path) -> int:
        removed = 0
        for entry in day.iterdir():
            if entry.is_symlink() or entry.is_file():
                entry.unlink(missing_ok=True)
                removed += 1
        try:
            day.rmdir()
        except OSError:
            pass  # something that is not ours (a sub-folder) remains; leave it and the folder for a person
        return removed

    # -- serving -----------------------------------------------------------------------------------------

    def open(self, path: str) -> Path:
        """The file for a stored relative ``path``, for the web to serve.

        Refuses absolute paths, ``..``, and anything not shaped like a stored snapshot
        (``<lot>/<YYYY-MM-DD>/<ref>-<kind>[.thumb].jpg``); raises FileNotFoundError if it was purged.
        """
        if not isinstance(path, str) or not path:
            raise SnapshotError("snapshot path is empty")
        if "\\" in path or "\x00" in path:
            raise SnapshotError(f"snapshot path {path!r} contains a backslash or NUL")
        pure = PurePosixPath(path)
        if pure.is_absolute() or re.match(r"[A-Za-z]:", path):
            raise SnapshotError(f"snapshot path {path!r} is absolute; expected one relative to the store")
        if ".." in pure.parts:
            raise SnapshotError(f"snapshot path {path!r} climbs out with '..'")
        parts = path.split("/")
        if (len(parts) != 3 or not LOT_DIR.fullmatch(parts[0]) or not DAY_DIR.fullmatch(parts[1])
                or not STORED_NAME.fullmatch(parts[2])):
            raise SnapshotError(f"snapshot path {path!r} is not <lot>/<YYYY-MM-DD>/<ref>-<kind>[.thumb].jpg")
        root = self.folder.resolve()
        resolved = (root / path).resolve()
        if not resolved.is_relative_to(root):
            raise SnapshotError(f"snapshot path {path!r} leads outside the snapshot folder")
        if not resolved.is_file():
            raise FileNotFoundError(f"snapshot {path} is not stored (purged, or never saved)")
        return resolved
