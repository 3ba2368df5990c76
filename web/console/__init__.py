"""The operator console: live occupancy, the lane console (岗亭), parking sessions with their snapshots,
passes, tariffs and zombie vehicles. Every page needs sign-in."""

from flask import Blueprint

bp = Blueprint("console", __name__)

from . import audit_log, operators  # noqa: E402,F401  (operator accounts and the audit log attach their routes to bp)
from . import lists, pass_files, pass_products, passes  # noqa: E402,F401  (passes, products, lists and visitors: issue 10 items 4 and 5)
from . import site  # noqa: E402,F401  (site configuration and the site file: issue 10 items 2 and 3)
from . import exit_codes  # noqa: E402,F401  (the exit lanes' QR codes to print, 出口码)
from . import reconciliation, revenue  # noqa: E402,F401  (revenue reports and the daily reconciliation of the platforms' bills)
from . import arrears, payments  # noqa: E402,F401  (payments with their refunds, and arrears)
