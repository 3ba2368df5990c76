"""Parking: lane control, exact occupancy, published tariffs and shared parking for old communities."""

__version__ = "0.1.0"
