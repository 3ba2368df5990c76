"""Kept until ``web.lane_control`` imports ``parking.services.audit`` itself: the audit-row writer lives there."""
from parking.services.audit import record  # noqa: F401
