"""Alembic environment and versions for the parking schema."""
