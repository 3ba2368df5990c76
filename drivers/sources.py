"""Which source addresses a push device may send from: an allow-list of addresses and networks.

Anyone on the camera network can send HTTP, so a push hub serves a camera's push only when it comes from
one of the camera's allowed sources. ``parse_allow`` reads ``"10.0.0.5,192.168.1.0/24"``; ``allows``
checks a client address (IPv4-mapped IPv6 addresses count as their IPv4 address).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK: tuple[Network, ...] = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


def parse_allow(text: str | Iterable[str]) -> tuple[Network, ...]:
    """Allowed source addresses from ``"10.0.0.5,192.168.1.0/24"`` (or a list); ``ValueError`` names a bad one."""
    items = text.split(",") if isinstance(text, str) else list(text)
    networks = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"allow: {item!r} is not an IP address or network") from None
    return tuple(networks)


def default_allow(host: str) -> tuple[Network, ...]:
    """The camera's own address when its host is an IP address; loopback otherwise (name ``allow``)."""
    try:
        return (ipaddress.ip_network(host.strip("[]"), strict=False),)
    except ValueError:
        return LOOPBACK


def allows(networks: Iterable[Network], client_host: str) -> bool:
    try:
        source = ipaddress.ip_address(client_host.split("%")[0])
    except ValueError:
        return False
    if isinstance(source, ipaddress.IPv6Address) and source.ipv4_mapped is not None:
        source = source.ipv4_mapped
    return any(source in net for net in networks)
