"""Redis key names. Every key of a lot carries the hash tag ``{lot:<id>}`` so that one lot's keys live in
one Redis Cluster slot and a Lua script touching one lot runs unchanged on a single server or a cluster."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LotKeys:
    lot_id: int

    @property
    def tag(self) -> str:
        return f"{{lot:{self.lot_id}}}"

    @property
    def occupancy(self) -> str:
        return f"{self.tag}:occ"

    @property
    def capacity(self) -> str:
        return f"{self.tag}:cap"

    @property
    def open_sessions(self) -> str:
        return f"{self.tag}:open"

    @property
    def pass_occupancy(self) -> str:
        return f"{self.tag}:passocc"

    @property
    def passes(self) -> str:
        return f"{self.tag}:passes"

    @property
    def lists(self) -> str:
        return f"{self.tag}:lists"

    @property
    def visitors(self) -> str:
        return f"{self.tag}:visitors"

    @property
    def arrears(self) -> str:
        return f"{self.tag}:arrears"

    @property
    def events(self) -> str:
        return f"{self.tag}:events"

    def read_dedupe(self, camera_serial: str, read_id: str) -> str:
        return f"{self.tag}:dedupe:read:{camera_serial}:{read_id}"

    @property
    def no_dedupe(self) -> str:
        """Stands for an absent dedupe key (a read without a camera id): in the lot's slot, never written."""
        return f"{self.tag}:dedupe:none"

    def lane_dedupe(self, lane_id: int, plate: str) -> str:
        return f"{self.tag}:dedupe:lane:{lane_id}:{plate}"

    def device(self, serial: str) -> str:
        return f"{self.tag}:device:{serial}"


RECORDER_GROUP = "recorder"

# Site-wide, not a lot's: raised after every configuration change (``parking.occupancy.config``).
CONFIG_VERSION = "config:version"
