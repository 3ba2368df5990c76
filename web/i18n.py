"""Which language a page is in, and the ``?lang=`` switch.

Messages are written in Chinese in the code and templates (the msgids are the zh_CN text); the English
catalogue is ``web/translations/en/LC_MESSAGES/messages.po``, compiled to ``messages.mo`` beside it
(``web/translations/README.md`` has the commands). The language is chosen in this order:

1. ``?lang=zh_CN`` or ``?lang=en`` on any page: remembered in the session and, for a signed-in
   operator, saved as the operator's ``language``;
2. the language remembered in the session;
3. the signed-in operator's ``language``;
4. ``PARKING_LANGUAGE`` (``zh_CN`` unless configured).
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from flask import Flask, current_app, request, session
from flask_babel import get_locale, refresh
from flask_login import current_user

from parking.config import Settings
from parking.services import accounts

from .context import db
from .extensions import babel

LANGUAGES: dict[str, str] = {"zh_CN": "中文", "en": "English"}


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    if current_user and current_user.is_authenticated and current_user.language in LANGUAGES:
        return current_user.language
    return current_app.config["PARKING_SETTINGS"].language


def select_timezone() -> str:
    return current_app.config["PARKING_SETTINGS"].timezone


def _remember_switch() -> None:
    """Apply ``?lang=`` before the view runs, so the page that carries it is already in that language."""
    wanted = request.args.get("lang")
    if wanted not in LANGUAGES:
        return
    session["lang"] = wanted
    if current_user.is_authenticated and current_user.language != wanted:
        accounts.set_language(db(), current_user.id, wanted)
    refresh()


def current_language() -> str:
    """The code of the page's language, one of ``LANGUAGES`` ("zh_CN" or "en")."""
    locale = get_locale()
    if locale is not None and locale.language == "en":
        return "en"
    return "zh_CN"


def html_lang() -> str:
    return current_language().replace("_", "-")


def language_url(code: str) -> str:
    """The current page in another language (its arguments kept).

    Built from the request's own path and query rather than ``url_for``, so that no query argument can
    be taken for one of ``url_for``'s own (``_scheme``, ``_external``, ``endpoint``…)."""
    arguments = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    return f"{quote(request.script_root + request.path)}?{urlencode([*arguments, ('lang', code)])}"


def init_app(app: Flask, settings: Settings) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", settings.language)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", settings.timezone)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.before_request(_remember_switch)
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, html_lang=html_lang, language_url=language_url)
