"""Log lines: plates masked wherever they appear in a rendered message, long messages cut."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from parking.config import Settings
from parking.logs import MAX_MESSAGE_CHARS, PlateFilter, clean, configure_logging, install_plate_filter, mask_plates


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("粤B12345 entered", "粤B***45 entered"),
        ("plate=粤BD12345 lane east-in", "plate=粤B****45 lane east-in"),        # new energy
        ("京A1234挂 at the gate", "京A**34挂 at the gate"),                     # trailer suffix kept
        ("粤Z1234港", "粤Z**34港"),
        ("粤B1234应急", "粤B**34应急"),
        ("使123456", "使****56"),                                               # embassy
        ("无牌AB12CD", "无牌****CD"),                                           # virtual plate
        ("粤b·12345 and 粤B 12345", "粤b·***45 and 粤B ***45"),                 # as cameras and people write them
        ("lane 粤B12345, 粤A88888 and 粤B3M001", "lane 粤B***45, 粤A***88 and 粤B***01"),
        ('{"license": "\\u7ca4B12345"}', '{"license": "\\u7ca4B***45"}'),       # JSON escapes
        ("body b'\\xe7\\xb2\\xa4B12345'", "body b'\\xe7\\xb2\\xa4B***45'"),      # repr of UTF-8 bytes
        ("GET /api/v1/sessions?plate=%E7%B2%A4B12345 HTTP/1.1", "GET /api/v1/sessions?plate=%E7%B2%A4B***45 HTTP/1.1"),
        ("重新connect to 新Redis; 云ABCD", "重新connect to 新Redis; 云ABCD"),   # words after a province character
        ("lane east-in: no plate", "lane east-in: no plate"),
    ],
)
def test_plates_are_masked_keeping_province_letter_and_last_two(text: str, masked: str) -> None:
    assert mask_plates(text) == masked


def test_masking_an_already_masked_line_changes_nothing() -> None:
    assert mask_plates("粤B***45 entered") == "粤B***45 entered"


def test_a_one_mebibyte_plate_is_cut_and_masked() -> None:
    huge = "粤B" + "1" * (1 << 20)
    line = clean(f"lane east-in: {huge} -> rejected")
    assert len(line) < MAX_MESSAGE_CHARS + 64
    assert line.startswith("lane east-in: 粤B*****")
    assert "11" not in line
    assert line.endswith(f"… [cut: {len(huge) + len('lane east-in: ') + len(' -> rejected')} characters in all]")


def test_full_plates_are_kept_when_asked_but_still_cut() -> None:
    assert clean("粤B12345 entered", full_plates=True) == "粤B12345 entered"
    assert clean("x" * 5000, limit=10, full_plates=True) == "xxxxxxxxxx… [cut: 5000 characters in all]"


@pytest.fixture
def stream_logger() -> Iterator[tuple[logging.Logger, io.StringIO, logging.Handler]]:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("tests.unit.test_logs.child")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield logger, buffer, handler
    finally:
        logger.removeHandler(handler)


def test_the_filter_masks_arguments_messages_and_tracebacks(stream_logger) -> None:  # type: ignore[no-untyped-def]
    logger, buffer, handler = stream_logger
    handler.addFilter(PlateFilter())
    logger.info("lane %s: %s -> %s", "east-in", "粤B12345", "admitted")
    logger.warning("refused %r", {"plate": "粤A88888"})
    try:
        raise ValueError("plate 京A12345 is blacklisted")
    except ValueError:
        logger.exception("decision failed for %s", "京A12345")
    text = buffer.getvalue()
    assert "INFO tests.unit.test_logs.child: lane east-in: 粤B***45 -> admitted\n" in text
    assert "WARNING tests.unit.test_logs.child: refused {'plate': '粤A***88'}\n" in text
    assert "ERROR tests.unit.test_logs.child: decision failed for 京A***45\nTraceback (most recent call last):" in text
    assert "ValueError: plate 京A***45 is blacklisted" in text
    assert "12345" not in text and "88888" not in text


def test_a_record_reaching_two_filtered_handlers_is_cleaned_once(stream_logger) -> None:  # type: ignore[no-untyped-def]
    logger, buffer, handler = stream_logger
    other = io.StringIO()
    second = logging.StreamHandler(other)
    logger.addHandler(second)
    try:
        handler.addFilter(PlateFilter())
        second.addFilter(PlateFilter())
        logger.info("in: %s (%d%%)", "粤B12345", 100)
    finally:
        logger.removeHandler(second)
    assert buffer.getvalue().endswith(": in: 粤B***45 (100%)\n")
    assert other.getvalue() == "in: 粤B***45 (100%)\n"


def test_install_covers_every_handler_and_replaces_an_earlier_filter(stream_logger) -> None:  # type: ignore[no-untyped-def]
    logger, buffer, handler = stream_logger
    try:
        install_plate_filter()
        install_plate_filter(full_plates=True)
        assert [type(f) for f in handler.filters] == [PlateFilter]
        logger.info("in: %s", "粤B12345")
        install_plate_filter()
        logger.info("in: %s", "粤B12346")
    finally:
        _remove_plate_filters()
    assert buffer.getvalue().splitlines() == ["INFO tests.unit.test_logs.child: in: 粤B12345", "INFO tests.unit.test_logs.child: in: 粤B***46"]


def test_configure_logging_leaves_a_configured_process_alone(tmp_path) -> None:  # type: ignore[no-untyped-def]
    root = logging.getLogger()
    placeholder = logging.NullHandler()
    root.addHandler(placeholder)
    try:
        settings = Settings(instance_path=tmp_path, database_url="sqlite://", redis_url=None)
        assert configure_logging(settings, only_if_unconfigured=True) is False
        assert placeholder.filters == []
    finally:
        root.removeHandler(placeholder)


def test_the_setting_is_read_from_the_environment(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert Settings.from_env({"PARKING_INSTANCE_PATH": str(tmp_path)}).log_full_plates is False
    assert Settings.from_env({"PARKING_INSTANCE_PATH": str(tmp_path), "PARKING_LOG_FULL_PLATES": "true"}).log_full_plates is True


def _remove_plate_filters() -> None:
    from parking.logs import _all_handlers

    for handler in _all_handlers():
        for f in [f for f in handler.filters if isinstance(f, PlateFilter)]:
            handler.removeFilter(f)


def test_a_plate_whose_serial_is_all_letters_is_masked_too():
    assert mask_plates("lane east-in: 湘LLSSEA -> admitted") == "lane east-in: 湘L***EA -> admitted"
    assert mask_plates("新connect 新CONNECTED") == "新connect 新CONNECTED"
