"""Camera snapshots: decoded safely, stored upright without metadata, thumbnailed, purged, served by path."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image

from parking import private, snapshots
from parking.snapshots import Snapshot, SnapshotError, SnapshotStore

UTC = timezone.utc
CST = timezone(timedelta(hours=8))
AT = datetime(2024, 7, 1, 9, 30, tzinfo=CST)
REF = "3f2c9a0d5b7e4c1a8e6f0b2d4a6c8e01"
RED, BLUE = (255, 0, 0), (0, 0, 255)


def jpeg_on_its_side() -> bytes:
    """40x20, red left half, blue right half, EXIF orientation 6 (turn 90° clockwise), GPS and a comment."""
    image = Image.new("RGB", (40, 20), BLUE)
    image.paste(RED, (0, 0, 20, 20))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (22.0, 32.0, 0.0), 3: "E", 4: (113.0, 56.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"home of the owner", quality=95)
    return out.getvalue()


def png(size: tuple[int, int], mode: str = "RGBA", colour: object = (0, 128, 0, 255)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, "PNG")
    return out.getvalue()


def noisy_jpeg() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((256, 256), 64).convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` in its header and holds no pixels: a cheap decompression bomb."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink())


@pytest.fixture
def store(tmp_path: Path) -> SnapshotStore:
    return SnapshotStore(tmp_path / "snapshots")


# -- storing ---------------------------------------------------------------------------------------------

def test_jpeg_is_stored_upright_under_lot_and_utc_day(store: SnapshotStore) -> None:
    shot = store.save(7, AT, "scene", jpeg_on_its_side(), ref=REF)
    assert shot.path == f"7/2024-07-01/{REF}-scene.jpg"
    assert shot.thumb == f"7/2024-07-01/{REF}-scene.thumb.jpg"
    assert (shot.width, shot.height) == (20, 40)
    with Image.open(store.folder / shot.path) as stored:
        assert (stored.format, stored.size) == ("JPEG", (20, 40))
        top, bottom = stored.convert("RGB").getpixel((10, 5)), stored.convert("RGB").getpixel((10, 35))
    assert top[0] > 200 and top[2] < 60  # the red half was on the left; turned clockwise it is on top
    assert bottom[2] > 200 and bottom[0] < 60


def test_stored_jpeg_carries_no_exif_gps_or_comment(store: SnapshotStore) -> None:
    shot = store.save(7, AT, "scene", jpeg_on_its_side(), ref=REF)
    for relative in (shot.path, shot.thumb):
        raw = (store.folder / relative).read_bytes()
        assert b"Exif" not in raw
        assert b"home of the owner" not in raw
        with Image.open(io.BytesIO(raw)) as stored:
            assert dict(stored.getexif()) == {}
            assert "exif" not in stored.info and "comment" not in stored.info


def test_snapshot_reports_the_stored_size(store: SnapshotStore) -> None:
    shot = store.save(7, AT, "scene", jpeg_on_its_side(), ref=REF)
    assert shot.bytes == (store.folder / shot.path).stat().st_size
    assert isinstance(shot, Snapshot)
    with pytest.raises(AttributeError):
        shot.width = 1  # type: ignore[misc]


def test_png_is_re_encoded_as_jpeg_with_a_thumbnail_inside_the_box(store: SnapshotStore) -> None:
    shot = store.save(7, AT, "scene", png((1280, 720)), ref=REF)
    assert (shot.width, shot.height) == (1280, 720)
    with Image.open(store.folder / shot.path) as full, Image.open(store.folder / shot.thumb) as thumb:
        assert (full.format, full.mode, full.size) == ("JPEG", "RGB", (1280, 720))
        assert (thumb.format, thumb.size) == ("JPEG", (320, 180))


def test_transparent_png_is_flattened_on_white(store: SnapshotStore) -> None:
    shot = store.save(7, AT, "plate", png((40, 12), colour=(0, 0, 0, 0)), ref=REF)
    with Image.open(store.folder / shot.path) as stored:
        assert all(channel > 245 for channel in stored.getpixel((20, 6)))


def test_small_plate_crop_is_not_enlarged_for_its_thumbnail(store: SnapshotStore) -> None:
    shot = store.save(7, AT, "plate", png((140, 40), "RGB", (0, 0, 200)), ref=REF)
    with Image.open(store.folder / shot.thumb) as thumb:
        assert thumb.size == (140, 40)


def test_sixteen_bit_grey_png_keeps_its_brightness(store: SnapshotStore) -> None:
    shot = store.save(7, AT, "plate", png((8, 8), "I;16", 32768), ref=REF)
    with Image.open(store.folder / shot.path) as stored:
        assert stored.getpixel((4, 4)) == (128, 128, 128)


def test_saving_the_same_read_again_replaces_its_files(store: SnapshotStore) -> None:
    store.save(7, AT, "scene", png((64, 36)), ref=REF)
    store.save(7, AT, "scene", png((32, 18)), ref=REF)
    assert files(store.folder) == [f"7/2024-07-01/{REF}-scene.jpg", f"7/2024-07-01/{REF}-scene.thumb.jpg"]
    with Image.open(store.folder / f"7/2024-07-01/{REF}-scene.jpg") as stored:
        assert stored.size == (32, 18)


def test_scene_and_plate_of_one_read_sit_side_by_side(store: SnapshotStore) -> None:
    store.save(7, AT, "scene", png((64, 36)), ref=REF)
    store.save(7, AT, "plate", png((14, 4)), ref=REF)
    assert files(store.folder) == [f"7/2024-07-01/{REF}-plate.jpg", f"7/2024-07-01/{REF}-plate.thumb.jpg",
                                   f"7/2024-07-01/{REF}-scene.jpg", f"7/2024-07-01/{REF}-scene.thumb.jpg"]


# -- bad input -------------------------------------------------------------------------------------------

def refused(store: SnapshotStore, data: bytes) -> str:
    with pytest.raises(SnapshotError) as caught:
        store.save(7, AT, "scene", data, ref=REF)
    assert files(store.folder) == []  # nothing half-written, no temporary file left behind
    return str(caught.value)


def test_garbage_bytes_are_not_an_image(store: SnapshotStore) -> None:
    assert refused(store, b"hello, camera\x00\x01") == \
        "not an image: the first bytes 68 65 6c 6c 6f 2c 20 63 are neither JPEG nor PNG"


def test_empty_body_is_not_an_image(store: SnapshotStore) -> None:
    assert refused(store, b"") == "not an image: the first bytes (none) are neither JPEG nor PNG"


def test_gif_is_an_unsupported_format(store: SnapshotStore) -> None:
    out = io.BytesIO()
    Image.new("P", (4, 4)).save(out, "GIF")
    assert refused(store, out.getvalue()) == "unsupported format GIF: expected a JPEG or PNG image"


def test_webp_is_an_unsupported_format(store: SnapshotStore) -> None:
    assert refused(store, b"RIFF\x24\x00\x00\x00WEBPVP8 ") == "unsupported format WEBP: expected a JPEG or PNG image"


def test_jpeg_magic_followed_by_garbage_is_not_an_image(store: SnapshotStore) -> None:
    assert refused(store, b"\xff\xd8\xff" + b"\x00" * 13) == \
        "not an image: starts like a JPEG but its header cannot be read"


def test_truncated_jpeg_is_refused(store: SnapshotStore) -> None:
    data = noisy_jpeg()
    assert refused(store, data[: len(data) // 2]).startswith("truncated or corrupt JPEG image")


def test_truncated_png_is_refused(store: SnapshotStore) -> None:
    out = io.BytesIO()
    Image.effect_noise((128, 128), 64).save(out, "PNG")
    data = out.getvalue()
    assert refused(store, data[: len(data) // 2]).startswith("truncated or corrupt PNG image")


def test_oversize_body_is_refused_before_decoding(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path, max_bytes=1000)
    assert refused(store, b"\x00" * 1001) == "too large: 1001 bytes, the limit is 1000"


def test_body_at_the_size_limit_is_accepted(tmp_path: Path) -> None:
    data = png((16, 16))
    store = SnapshotStore(tmp_path, max_bytes=len(data))
    assert store.save(7, AT, "scene", data, ref=REF).width == 16


def test_more_pixels_than_the_store_allows_is_refused(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path, max_pixels=5000)
    assert refused(store, png((100, 100))) == "too many pixels: 100x100 = 10000, the limit is 5000"


def test_header_claiming_fifty_thousand_squared_is_refused_without_decoding(store: SnapshotStore) -> None:
    bomb = png_header(50000, 50000)
    assert len(bomb) < 100
    assert refused(store, bomb).startswith("too many pixels: refused before decoding (Image size (2500000000 pixels)")


def test_header_in_pillows_warning_band_is_refused_as_a_bomb(tmp_path: Path) -> None:
    # 10000x10000 is over Pillow's own warning threshold (about 89 million) but under its hard error.
    store = SnapshotStore(tmp_path, max_pixels=200_000_000)
    assert refused(store, png_header(10000, 10000)).startswith(
        "too many pixels: refused before decoding (Image size (100000000 pixels)")


def test_failed_write_leaves_neither_file(store: SnapshotStore, monkeypatch: pytest.MonkeyPatch) -> None:
    real_replace, calls = private.os.replace, []

    def replace_then_fail(src: str, dst: object) -> None:
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(private.os, "replace", replace_then_fail)
    with pytest.raises(OSError):
        store.save(7, AT, "scene", png((64, 36)), ref=REF)
    assert files(store.folder) == []


SEEDS = (jpeg_on_its_side(), png((30, 20)), noisy_jpeg()[:3000])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.sampled_from(SEEDS), edits=st.lists(st.tuples(st.integers(0, 2999), st.integers(0, 255)), max_size=8),
       cut=st.integers(1, 3000))
def test_damaged_images_are_stored_or_refused_never_crash(tmp_path: Path, seed: bytes, edits: list[tuple[int, int]],
                                                          cut: int) -> None:
    data = bytearray(seed[:cut])
    for at, value in edits:
        data[at % len(data)] = value
    store = SnapshotStore(tmp_path / "fuzz")
    try:
        shot = store.save(7, AT, "scene", bytes(data), ref=REF)
    except SnapshotError:
        return
    with Image.open(store.folder / shot.path) as stored:
        assert (stored.format, stored.size) == ("JPEG", (shot.width, shot.height))


@pytest.mark.parametrize("ref", ["", "../escape", "a/b", ".hidden", "x" * 65, "a.b"])
def test_ref_that_is_not_a_plain_uid_is_refused(store: SnapshotStore, ref: str) -> None:
    with pytest.raises(ValueError, match="ref"):
        store.save(7, AT, "scene", png((4, 4)), ref=ref)


def test_unknown_kind_is_refused(store: SnapshotStore) -> None:
    with pytest.raises(ValueError, match="kind 'face' must be one of plate, scene"):
        store.save(7, AT, "face", png((4, 4)), ref=REF)


def test_naive_time_is_refused(store: SnapshotStore) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        store.save(7, datetime(2024, 7, 1, 9, 30), "scene", png((4, 4)), ref=REF)


# -- retention -------------------------------------------------------------------------------------------

def stored_on(store: SnapshotStore, lot: int, day: int, month: int = 6) -> None:
    store.save(lot, datetime(2024, month, day, 12, tzinfo=UTC), "scene", png((8, 8)), ref=f"r{month}{day:02d}")


def test_purge_removes_exactly_the_days_past_retention(store: SnapshotStore) -> None:
    for lot, month, day in ((1, 6, 29), (1, 6, 30), (1, 7, 1), (1, 7, 31), (2, 6, 30), (2, 7, 2)):
        stored_on(store, lot, day, month)
    removed = store.purge(datetime(2024, 7, 31, 12, tzinfo=UTC))
    assert removed == 6
    assert files(store.folder) == [
        "1/2024-07-01/r701-scene.jpg", "1/2024-07-01/r701-scene.thumb.jpg",
        "1/2024-07-31/r731-scene.jpg", "1/2024-07-31/r731-scene.thumb.jpg",
        "2/2024-07-02/r702-scene.jpg", "2/2024-07-02/r702-scene.thumb.jpg",
    ]
    assert sorted(p.name for p in (store.folder / "1").iterdir()) == ["2024-07-01", "2024-07-31"]


def test_purge_counts_days_in_utc(store: SnapshotStore) -> None:
    stored_on(store, 1, 30)
    # 2024-07-31 07:00 in Shanghai is still 2024-07-30 in UTC: 06-30 is kept one more day.
    assert store.purge(datetime(2024, 7, 31, 7, tzinfo=CST)) == 0
    assert store.purge(datetime(2024, 7, 31, 8, tzinfo=CST)) == 2


def test_purge_honours_the_configured_retention(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path, retention_days=7)
    stored_on(store, 1, 23)
    stored_on(store, 1, 24)
    assert store.purge(datetime(2024, 7, 1, 0, tzinfo=UTC)) == 2
    assert files(tmp_path) == ["1/2024-06-24/r624-scene.jpg", "1/2024-06-24/r624-scene.thumb.jpg"]


def test_purge_again_removes_nothing(store: SnapshotStore) -> None:
    stored_on(store, 1, 1)
    now = datetime(2024, 7, 31, tzinfo=UTC)
    assert (store.purge(now), store.purge(now)) == (2, 0)


def test_purge_of_a_missing_folder_removes_nothing(tmp_path: Path) -> None:
    assert SnapshotStore(tmp_path / "never-created").purge(datetime(2024, 7, 31, tzinfo=UTC)) == 0


def test_purge_touches_nothing_that_is_not_a_lot_day_folder(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "2024-01-01").mkdir(parents=True)
    (outside / "2024-01-01" / "keep.jpg").write_bytes(b"not ours")
    store = SnapshotStore(tmp_path / "snapshots")
    store.folder.mkdir()
    (store.folder / "README").write_text("operator notes")
    (store.folder / "archive" / "2024-01-01").mkdir(parents=True)
    (store.folder / "archive" / "2024-01-01" / "old.jpg").write_bytes(b"x")
    (store.folder / "3").mkdir()
    (store.folder / "3" / "notes").mkdir()
    (store.folder / "3" / "notes" / "old.jpg").write_bytes(b"x")
    (store.folder / "3" / "2024-01-02").symlink_to(outside / "2024-01-01", target_is_directory=True)
    (store.folder / "4").symlink_to(outside, target_is_directory=True)

    assert store.purge(datetime(2024, 7, 31, tzinfo=UTC)) == 0
    assert (outside / "2024-01-01" / "keep.jpg").read_bytes() == b"not ours"
    assert files(store.folder) == ["3/2024-01-02", "3/notes/old.jpg", "4", "README", "archive/2024-01-01/old.jpg"]


def test_purge_leaves_a_day_folder_holding_a_foreign_sub_folder(store: SnapshotStore) -> None:
    stored_on(store, 1, 1)
    (store.folder / "1" / "2024-06-01" / "evidence").mkdir()
    (store.folder / "1" / "2024-06-01" / "evidence" / "kept.jpg").write_bytes(b"x")
    assert store.purge(datetime(2024, 7, 31, tzinfo=UTC)) == 2
    assert files(store.folder) == ["1/2024-06-01/evidence/kept.jpg"]


# -- serving ---------------------------------------------------------------------------------------------

def test_open_returns_the_stored_file(store: SnapshotStore) -> None:
    shot = store.save(7, AT, "scene", png((8, 8)), ref=REF)
    assert store.open(shot.path) == (store.folder / shot.path).resolve()
    assert store.open(shot.thumb) == (store.folder / shot.thumb).resolve()


def test_open_of_a_purged_snapshot_is_not_found(store: SnapshotStore) -> None:
    with pytest.raises(FileNotFoundError, match=f"snapshot 7/2024-07-01/{REF}-scene.jpg is not stored"):
        store.open(f"7/2024-07-01/{REF}-scene.jpg")


@pytest.mark.parametrize(("path", "reason"), [
    ("../secret.jpg", "climbs out with '..'"),
    ("7/2024-07-01/../../../etc/passwd", "climbs out with '..'"),
    ("/etc/passwd", "is absolute"),
    ("C:/Windows/win.ini", "is absolute"),
    ("7\\2024-07-01\\a-scene.jpg", "contains a backslash or NUL"),
    ("7/2024-07-01/a-scene.jpg\x00.png", "contains a backslash or NUL"),
    ("", "is empty"),
    ("7/2024-07-01/a-scene.png", "is not <lot>/<YYYY-MM-DD>/<ref>-<kind>[.thumb].jpg"),
    ("7/a-scene.jpg", "is not <lot>/<YYYY-MM-DD>/<ref>-<kind>[.thumb].jpg"),
    ("7/2024-07-01/./a-scene.jpg", "is not <lot>/<YYYY-MM-DD>/<ref>-<kind>[.thumb].jpg"),
])
def test_open_refuses_paths_that_are_not_stored_snapshots(store: SnapshotStore, path: str, reason: str) -> None:
    with pytest.raises(SnapshotError) as caught:
        store.open(path)
    assert reason in str(caught.value)


def test_open_refuses_a_symlink_leading_out_of_the_folder(tmp_path: Path) -> None:
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(b"x")
    store = SnapshotStore(tmp_path / "snapshots")
    (store.folder / "7" / "2024-07-01").mkdir(parents=True)
    (store.folder / "7" / "2024-07-01" / "a-scene.jpg").symlink_to(secret)
    with pytest.raises(SnapshotError, match="leads outside the snapshot folder"):
        store.open("7/2024-07-01/a-scene.jpg")
