"""The JSON API under ``/api/v1/`` (flask-smorest); one module per resource attaches its routes to ``bp``."""

from flask_smorest import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1", description="Parking lots, lanes, sessions and availability")

# Resource modules registered here rather than in ``web.create_app`` attach their routes to ``bp`` on import.
from . import site  # noqa: E402,F401
