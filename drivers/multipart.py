"""``multipart/form-data`` bodies: a small strict parser and a builder. Pure, standard library only.

Cameras send heartbeats (VZ) and ANPR alarms with pictures (Hikvision ISAPI) in this form::

    --BOUNDARY\r\n
    Content-Disposition: form-data; name="anpr.xml"; filename="anpr.xml"\r\n
    Content-Type: text/xml\r\n
    \r\n
    <part body>\r\n
    --BOUNDARY\r\n
    ...
    --BOUNDARY--\r\n

The parser also accepts bare ``\n`` line ends, which some firmware sends.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from drivers.errors import DecodeError

_PARAM = re.compile(r';\s*([A-Za-z0-9_*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


@dataclass(frozen=True)
class Part:
    name: str
    body: bytes
    filename: str | None = None
    content_type: str = "text/plain"
    headers: dict[str, str] = field(default_factory=dict)


def header_params(value: str) -> tuple[str, dict[str, str]]:
    """Split ``'form-data; name="x"; filename="y"'`` into ``('form-data', {'name': 'x', 'filename': 'y'})``."""
    main, _, rest = value.partition(";")
    params = {}
    for key, raw in _PARAM.findall(";" + rest):
        raw = raw.strip()
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params[key.lower()] = raw
    return main.strip().lower(), params


def boundary_of(content_type: str) -> str:
    kind, params = header_params(content_type or "")
    if not kind.startswith("multipart/"):
        raise DecodeError(f"Content-Type {content_type!r}: expected multipart/form-data")
    boundary = params.get("boundary", "")
    if not boundary or len(boundary) > 200:
        raise DecodeError(f"Content-Type {content_type!r}: missing or oversized boundary parameter")
    return boundary


def parse(body: bytes, content_type: str) -> list[Part]:
    """Parts of a multipart body; ``DecodeError`` names what is malformed."""
    delimiter = b"--" + boundary_of(content_type).encode("latin-1")
    body = bytes(body)
    start = body.find(delimiter)
    if start < 0:
        raise DecodeError("multipart body: boundary never appears")
    parts: list[Part] = []
    pos = start + len(delimiter)
    while True:
        if body[pos:pos + 2] == b"--":
            return parts
        eol = _line_end(body, pos)
        if eol is None:
            raise DecodeError(f"multipart part {len(parts) + 1}: truncated after the boundary")
        pos = eol
        headers: dict[str, str] = {}
        while True:
            eol = _line_end(body, pos)
            if eol is None:
                raise DecodeError(f"multipart part {len(parts) + 1}: headers never end")
            line = body[pos:eol].rstrip(b"\r\n")
            pos = eol
            if not line:
                break
            key, sep, value = line.decode("utf-8", "replace").partition(":")
            if not sep:
                raise DecodeError(f"multipart part {len(parts) + 1}: header line {line[:60]!r} has no ':'")
            headers[key.strip().lower()] = value.strip()
        end = body.find(delimiter, pos)
        if end < 0:
            raise DecodeError(f"multipart part {len(parts) + 1}: closing boundary missing")
        content = body[pos:end]
        content = content[:-2] if content.endswith(b"\r\n") else content[:-1] if content.endswith(b"\n") else content
        disposition, params = header_params(headers.get("content-disposition", ""))
        if "name" not in params:
            raise DecodeError(f"multipart part {len(parts) + 1}: Content-Disposition has no name")
        parts.append(Part(params["name"], content, params.get("filename"),
                          headers.get("content-type", "text/plain"), headers))
        pos = end + len(delimiter)


def _line_end(body: bytes, pos: int) -> int | None:
    nl = body.find(b"\n", pos)
    return None if nl < 0 else nl + 1


def build(parts: list[Part], boundary: str | None = None) -> tuple[bytes, str]:
    """(body, Content-Type) for ``parts``."""
    boundary = boundary or "----parking" + uuid.uuid4().hex
    out = bytearray()
    for part in parts:
        out += f"--{boundary}\r\n".encode()
        disposition = f'form-data; name="{part.name}"'
        if part.filename is not None:
            disposition += f'; filename="{part.filename}"'
        out += f"Content-Disposition: {disposition}\r\n".encode()
        if part.filename is not None or part.content_type != "text/plain":
            out += f"Content-Type: {part.content_type}\r\n".encode()
        out += b"\r\n" + part.body + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"
