"""Typed exceptions raised by the device library.

Every error a driver raises derives from :class:`DriverError`, and each also derives from the matching
built-in type so that callers who only know the standard library still catch it sensibly:

    DriverError
    ├── DecodeError          (ValueError)    bytes that do not form a valid frame or message
    ├── DeviceTimeoutError   (TimeoutError)  a device did not answer in time
    ├── TransportError       (OSError)       the link itself failed: port, socket, HTTP
    ├── UnsupportedURLError  (ValueError)    a device URL this library cannot open
    ├── EncodeError          (ValueError)    a value that cannot be put on the wire (e.g. non-GB2312 text)
    └── DeviceRejectedError                  the device answered, with an error (Modbus exception, NAK)

Messages name the field or byte at fault and what was expected, so a person reading a log can act.
"""

from __future__ import annotations


class DriverError(Exception):
    """Base of every error raised by ``drivers``."""


class DecodeError(DriverError, ValueError):
    """Bytes or text that do not decode; the message names the field or byte and what was expected."""


class DeviceTimeoutError(DriverError, TimeoutError):
    """A device did not answer within the allowed time."""


class TransportError(DriverError, OSError):
    """The link to a device failed (serial port, socket, HTTP)."""


class UnsupportedURLError(DriverError, ValueError):
    """A device URL names a scheme or option this library does not know."""


class EncodeError(DriverError, ValueError):
    """A value cannot be put on the wire, e.g. text outside GB2312; the message names the culprit."""


class DeviceRejectedError(DriverError):
    """The device answered, but with an error code (a Modbus exception response, a negative ACK)."""
