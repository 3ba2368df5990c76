"""SQLAlchemy models of the system of record. Import models from here."""

from .base import Base, UTCDateTime, utcnow
from .billing import CalendarOverride, Tariff
from .history import AuditEvent, DeviceEvent, LotEvent, ParkingSession, SessionStatus
from .people import (
    ApiToken, ListEntry, ListKind, Operator, OperatorSite, ParkingPass, PassKind, PassPlate, PassProduct, Role, Vehicle, Visitor,
)
from .money import (
    ONLINE_METHODS, AdjustmentKind, Arrears, ArrearsPayment, ArrearsStatus, BillReconciliation, Campaign, Coupon, CouponStatus, Merchant, Payment,
    PaymentMethod, PaymentStatus, ReconciliationStatus, Refund, RefundStatus, RevenueChange, RevenueDay, RevenueDaySummed, Shift, ShiftStatus, StayAdjustment, StayTotals, stay_totals,
)
from .places import Device, DeviceKind, Lane, LaneDirection, Lot, PoolKind, Site, Zone, ZonePool

__all__ = [
    "ONLINE_METHODS", "AdjustmentKind", "Arrears", "ArrearsPayment", "ArrearsStatus", "Campaign", "Coupon", "CouponStatus", "Merchant",
    "PaymentStatus", "Refund", "RefundStatus", "Shift", "ShiftStatus", "StayAdjustment",
    "BillReconciliation", "ReconciliationStatus", "RevenueChange", "RevenueDay", "RevenueDaySummed", "StayTotals", "stay_totals",
    "ApiToken", "OperatorSite", "PassProduct",
    "AuditEvent", "Base", "CalendarOverride", "Device", "DeviceEvent", "DeviceKind", "Lane", "LaneDirection",
    "ListEntry", "ListKind", "Lot", "LotEvent", "Operator", "ParkingPass", "ParkingSession", "PassKind",
    "PassPlate", "Payment", "PaymentMethod", "PoolKind", "Role", "SessionStatus", "Site", "Tariff",
    "UTCDateTime", "Vehicle", "Visitor", "Zone", "ZonePool", "utcnow",
]
