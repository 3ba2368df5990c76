"""Device library: transports, framers, codecs and device classes for parking entrances.

Stands alone: nothing here imports from ``parking`` or ``web``.
"""
