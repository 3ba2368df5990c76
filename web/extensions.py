"""Flask extensions shared by every app the factory builds, bound to an app only in ``create_app``.

The JSON API's ``flask_smorest.Api`` is not here: it keeps one OpenAPI spec per instance, so the factory
creates one per app (see ``web.api.errors.ParkingApi``).
"""

from __future__ import annotations

from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
