"""The operator console: live occupancy, lanes, parking sessions, passes and tariffs. Every page needs sign-in."""

from flask import Blueprint

bp = Blueprint("console", __name__)
