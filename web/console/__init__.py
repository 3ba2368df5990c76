"""The operator console: live occupancy, lanes, parking sessions and passes. Every page needs sign-in."""

from flask import Blueprint

bp = Blueprint("console", __name__)
