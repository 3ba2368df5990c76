"""The JSON API under ``/api/v1/`` (flask-smorest); one module per resource attaches its routes to ``bp``."""

from flask_smorest import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1", description="Parking lots, lanes, sessions and availability")
