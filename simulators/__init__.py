"""Simulated devices speaking the real protocols, built on the codecs in ``drivers``."""
