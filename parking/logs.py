"""Logging for every process: level and format from ``Settings``, plates masked, long messages cut.

``configure_logging(settings)`` is called where a process configures logging (the ``parking`` commands,
and ``web.create_app`` when nothing configured logging before it, as under gunicorn). It installs one
``PlateFilter`` on every handler, so that each module's log lines are covered without editing them:

- every Chinese licence plate in the rendered message (and in an exception's traceback) is masked the way
  public pages mask plates: the issuer (province and authority letter) and the last two characters are
  kept, the characters between become ``*``: 粤B12345 → 粤B***45, 粤BD12345 → 粤B****45, 使123456 → 使****56.
  Plates are also found when written as JSON escapes (``\\u7ca4B12345``), as the repr of UTF-8 bytes
  (``\\xe7\\xb2\\xa4B12345``) or percent-encoded in a URL (``%E7%B2%A4B12345``);
  ``PARKING_LOG_FULL_PLATES=true`` keeps plates whole (for a site's own troubleshooting);
- a message longer than ``MAX_MESSAGE_CHARS`` characters (a traceback: ``MAX_TRACE_CHARS``) is cut, and
  the cut says how long the whole was, so a 1 MiB "plate" is never logged whole.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

from .config import Settings
from .plates import PROVINCES

MAX_MESSAGE_CHARS = 2000
MAX_TRACE_CHARS = 20000
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_SUFFIXES = "挂学警港澳领"


def _spellings(text: str) -> str:
    """A regex alternative for ``text`` as written, as JSON \\u escapes, as UTF-8 bytes in a repr (\\xe7…)
    and percent-encoded; hex digits in any case."""
    forms = [re.escape(text)]
    forms.append("".join(re.escape("\\u") + f"{ord(ch):04x}" for ch in text))
    utf8 = text.encode("utf-8")
    forms.append("".join(re.escape("\\x") + f"{b:02x}" for b in utf8))
    forms.append("".join("%" + f"{b:02x}" for b in utf8))
    return "|".join(forms)


def _alternatives(texts: Iterable[str]) -> str:
    return "|".join(_spellings(t) for t in texts)


# Issuer: province (any spelling), the authority letter, and a separator people and cameras put there.
# Serial: at least four letters or digits with a digit among them, or exactly five capital letters (GA 36
# allows a serial of letters only), so that words after a province character, like 新connect, are left
# alone; then a kind suffix if any.
_PLATE = re.compile(
    rf"(?P<issuer>(?:{_alternatives(PROVINCES)})[A-Z](?:[ \t·.\-+]|%20)?)"
    rf"(?P<serial>(?=[A-Z]*[0-9])[A-Z0-9]{{4,}}|(?-i:[A-HJ-NP-Z]{{5}})(?![A-Za-z0-9]))(?P<suffix>(?:{_alternatives(_SUFFIXES)}|{_spellings('应急')})?)"
    rf"|(?P<issuer2>(?:{_spellings('使')}|{_spellings('无牌')}))(?P<serial2>[A-Z0-9]{{4,}})",
    re.IGNORECASE,
)


def _mask_match(match: re.Match[str]) -> str:
    if match.group("issuer") is not None:
        issuer, serial, suffix = match.group("issuer"), match.group("serial"), match.group("suffix")
    else:
        issuer, serial, suffix = match.group("issuer2"), match.group("serial2"), ""
    return issuer + "*" * (len(serial) - 2) + serial[-2:] + suffix


def mask_plates(text: str) -> str:
    """``text`` with every plate in it masked (see the module docstring)."""
    return _PLATE.sub(_mask_match, text)


def cut(text: str, limit: int) -> str:
    """``text`` if it has at most ``limit`` characters, else its start and how long the whole was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [cut: {len(text)} characters in all]"


def clean(text: str, limit: int = MAX_MESSAGE_CHARS, *, full_plates: bool = False) -> str:
    """Mask and cut ``text`` for a log line. Only a bounded prefix is searched for plates: whatever
    lies beyond twice the limit is cut away anyway, and a plate straddling the final cut is masked
    before it."""
    head = text[: 2 * limit + 64]
    if not full_plates:
        head = mask_plates(head)
    if len(text) > len(head):
        return f"{head[:limit]}… [cut: {len(text)} characters in all]"
    return cut(head, limit)


class PlateFilter(logging.Filter):
    """Masks plates in (and cuts) every record's rendered message, traceback and stack.

    The record is rewritten in place (``msg`` becomes the final text, ``args`` empty), once: a record
    that reaches several handlers carrying this filter is cleaned on the first."""

    def __init__(self, *, full_plates: bool = False, max_chars: int = MAX_MESSAGE_CHARS,
                 max_trace_chars: int = MAX_TRACE_CHARS) -> None:
        super().__init__()
        self.full_plates = full_plates
        self.max_chars = max_chars
        self.max_trace_chars = max_trace_chars

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_parking_cleaned", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: logging reports it itself when the record is formatted
            return True
        record.msg, record.args = clean(message, self.max_chars, full_plates=self.full_plates), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = clean(record.exc_text, self.max_trace_chars, full_plates=self.full_plates)
            record.exc_info = None  # formatters use exc_text; none re-renders the unmasked traceback
        if record.stack_info:
            record.stack_info = clean(record.stack_info, self.max_trace_chars, full_plates=self.full_plates)
        record._parking_cleaned = True
        return True


def _all_handlers() -> list[logging.Handler]:
    handlers: list[logging.Handler] = list(logging.getLogger().handlers)
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            handlers.extend(logger.handlers)
    if logging.lastResort is not None:
        handlers.append(logging.lastResort)
    flask_logging = sys.modules.get("flask.logging")
    if flask_logging is not None:  # Flask adds this handler to the app's logger when nothing else logs
        handlers.append(flask_logging.default_handler)
    unique: dict[int, logging.Handler] = {}
    for handler in handlers:
        unique.setdefault(id(handler), handler)
    return list(unique.values())


def install_plate_filter(*, full_plates: bool = False) -> PlateFilter:
    """Put one ``PlateFilter`` on every handler known now (the root's, every logger's, logging's last
    resort and Flask's default handler), replacing any earlier one. Handlers added later are not
    covered: call this after configuring them."""
    plate_filter = PlateFilter(full_plates=full_plates)
    for handler in _all_handlers():
        for old in [f for f in handler.filters if isinstance(f, PlateFilter)]:
            handler.removeFilter(old)
        handler.addFilter(plate_filter)
    return plate_filter


def configure_logging(settings: Settings, *, only_if_unconfigured: bool = False) -> bool:
    """Configure the root logger (level and format from ``settings``, to stderr) and install the plate
    filter. With ``only_if_unconfigured``, do nothing when the root logger already has handlers (a
    server such as gunicorn, or a test runner, configured logging); returns whether it configured."""
    root = logging.getLogger()
    if only_if_unconfigured and root.handlers:
        return False
    logging.basicConfig(level=settings.log_level, format=LOG_FORMAT)
    install_plate_filter(full_plates=settings.log_full_plates)
    return True
