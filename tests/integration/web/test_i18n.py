"""Languages: Chinese by default, English on ``?lang=en``, remembered in the session and for the
operator; the English catalogue complete and compiled."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient
from sqlalchemy import select

from parking.models import Operator
from parking.runtime import Runtime
from tests.conftest import TEST_PASSWORD

from .conftest import csrf_token

pytestmark = [pytest.mark.database, pytest.mark.redis]

CATALOGUE = Path(__file__).resolve().parents[3] / "web" / "translations" / "en" / "LC_MESSAGES"
HAN = re.compile(r"[\u4e00-\u9fff]")


def _title(html: str) -> str:
    match = re.search(r"<title>([^<]*)</title>", html)
    assert match
    return match.group(1)


def test_pages_are_in_chinese_by_default(client: FlaskClient) -> None:
    html = client.get("/auth/login").get_data(as_text=True)
    assert _title(html) == "登录 · 智慧停车"
    assert '<html lang="zh-CN">' in html


def test_lang_en_switches_the_page_to_english(client: FlaskClient) -> None:
    html = client.get("/auth/login?lang=en").get_data(as_text=True)
    assert _title(html) == "Sign in · Smart Parking"
    assert '<html lang="en">' in html


def test_english_is_remembered_in_the_session(client: FlaskClient) -> None:
    client.get("/?lang=en")
    assert _title(client.get("/").get_data(as_text=True)) == "Free spaces · Smart Parking"


def test_switching_back_to_chinese(client: FlaskClient) -> None:
    client.get("/?lang=en")
    assert _title(client.get("/?lang=zh_CN").get_data(as_text=True)) == "空余车位 · 智慧停车"


def test_unknown_language_is_ignored(client: FlaskClient) -> None:
    assert _title(client.get("/?lang=fr").get_data(as_text=True)) == "空余车位 · 智慧停车"


def test_english_login_page_has_no_chinese_text_but_the_language_name(client: FlaskClient) -> None:
    html = client.get("/auth/login?lang=en").get_data(as_text=True)
    assert HAN.findall(html.replace(">中文<", "><")) == []


def test_english_console_translates_the_session_count(client: FlaskClient, login, admit) -> None:  # type: ignore[no-untyped-def]
    admit("粤B10001")
    login("attendant")
    html = client.get("/console/sessions?lang=en").get_data(as_text=True)
    assert "1 session" in html
    assert "Inside" in html


def test_switch_is_saved_as_the_operators_language(client: FlaskClient, login, runtime: Runtime, app) -> None:  # type: ignore[no-untyped-def]
    login("manager")
    client.get("/console/?lang=en")
    with runtime.sessions() as db:
        assert db.scalar(select(Operator.language).where(Operator.username == "manager")) == "en"
    other_device = app.test_client()
    page = other_device.get("/auth/login")
    other_device.post("/auth/login", data={"csrf_token": csrf_token(page.get_data(as_text=True)), "username": "manager", "password": TEST_PASSWORD})
    assert _title(other_device.get("/console/").get_data(as_text=True)) == "Occupancy · Smart Parking"


def test_english_catalogue_translates_every_message() -> None:
    with (CATALOGUE / "messages.po").open("rb") as f:
        catalogue = read_po(f)
    untranslated = [m.id for m in catalogue if m.id and (m.fuzzy or not (m.string if isinstance(m.string, str) else all(m.string)))]
    assert untranslated == []


def _hashable(value: object) -> object:
    return tuple(value) if isinstance(value, (list, tuple)) else value


def test_compiled_catalogue_matches_the_po_file() -> None:
    with (CATALOGUE / "messages.po").open("rb") as f:
        po = {_hashable(m.id): _hashable(m.string) for m in read_po(f) if m.id}
    with (CATALOGUE / "messages.mo").open("rb") as f:
        mo = {_hashable(m.id): _hashable(m.string) for m in read_mo(f) if m.id}
    assert mo == po


def test_every_message_in_the_code_and_templates_has_an_english_translation() -> None:
    from babel.messages.extract import extract_from_dir

    web = CATALOGUE.parents[2]
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    found = {message[2] if isinstance(message[2], str) else message[2][0]
             for message in extract_from_dir(str(web), method_map, keywords={"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None})}
    with (CATALOGUE / "messages.po").open("rb") as f:
        catalogue = read_po(f)
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id and m.string and not m.fuzzy}
    assert "车位概况" in found and "用户名或密码错误。" in found  # templates and code were both read
    assert sorted(found - translated) == []
