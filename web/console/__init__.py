"""The operator console: live occupancy, the lane console (岗亭), parking sessions with their snapshots,
passes, tariffs and zombie vehicles. Every page needs sign-in."""

from flask import Blueprint

bp = Blueprint("console", __name__)
