"""Pages anyone may open without signing in: free spaces and the published tariff. No personal data."""

from flask import Blueprint

bp = Blueprint("public", __name__)
