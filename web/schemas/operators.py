"""Operator accounts as the API shows and changes them: never a password hash, and a temporary password
only in the answer that created it (a creation or a reset with a generated password).

The rules (user names, the password policy, known sites, the last administrator) are checked by
``parking.services.operators``; these schemas only bound and shape the input.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from parking.models import Role
from parking.services.operators import DISPLAY_NAME_MAX_CHARS, SITE_CODE_MAX_CHARS

from .fields import PageNumber, PerPage

ROLES = [r.value for r in Role]
USERNAME_MAX_CHARS = 64
MAX_SITES = 200  # sites one account may be bound to in one request; [] binds it to none (every site)
MAX_PER_PAGE = 200


class OperatorSchema(Schema):
    id = fields.Integer(dump_only=True)
    username = fields.String(dump_only=True)
    display_name = fields.String(dump_only=True)
    role = fields.String(dump_only=True, metadata={"description": " | ".join(ROLES)})
    sites = fields.List(fields.String(), dump_only=True,
                        metadata={"description": "Codes of the sites the account is bound to; empty: every site"})
    active = fields.Boolean(dump_only=True, metadata={"description": "False once disabled: the account cannot sign in"})
    must_change_password = fields.Boolean(dump_only=True, metadata={"description": "The account must choose a new password at its next sign-in"})
    last_login_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    created_at = fields.AwareDateTime(dump_only=True)


class IssuedOperatorSchema(OperatorSchema):
    temporary_password = fields.String(
        dump_only=True, allow_none=True,
        metadata={"description": "The generated temporary password: shown in this answer only, never again; "
                                 "null when the password was given in the request"})


class OperatorPageSchema(Schema):
    items = fields.List(fields.Nested(OperatorSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


class OperatorQuerySchema(Schema):
    role = fields.String(validate=validate.OneOf(ROLES))
    active = fields.Boolean(metadata={"description": "true: enabled accounts; false: disabled ones"})
    site = fields.String(validate=validate.Length(max=SITE_CODE_MAX_CHARS),
                         metadata={"description": "A site's code: the accounts bound to it (not those bound to no site, which see every site)"})
    page = PageNumber()
    per_page = PerPage(max_per_page=MAX_PER_PAGE, default=50)


def _sites(**kwargs: object) -> fields.List:
    return fields.List(fields.String(validate=validate.Length(max=SITE_CODE_MAX_CHARS)), validate=validate.Length(max=MAX_SITES),
                       metadata={"description": "Codes of the sites the account works at (all of them); empty: every site"},
                       **kwargs)  # type: ignore[arg-type]


def _password(description: str) -> fields.String:
    return fields.String(allow_none=True, load_default=None, load_only=True, metadata={"description": description})


class OperatorCreateSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(max=USERNAME_MAX_CHARS),
                             metadata={"description": "2 to 64 letters, digits or . _ - @ (no spaces)"})
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    display_name = fields.String(load_default="", validate=validate.Length(max=DISPLAY_NAME_MAX_CHARS),
                                 metadata={"description": "The name shown in the console; the user name when empty"})
    sites = _sites(load_default=list)
    password = _password("A temporary password to give the account (at least 10 characters of two kinds, not the user name); "
                         "omitted or null: one is generated and returned once as temporary_password. Either way the account "
                         "must choose its own password at its first sign-in")


class OperatorUpdateSchema(Schema):
    role = fields.String(validate=validate.OneOf(ROLES))
    sites = _sites()
    display_name = fields.String(validate=validate.Length(max=DISPLAY_NAME_MAX_CHARS), metadata={"description": "Empty: the user name"})


class PasswordResetSchema(Schema):
    password = _password("The temporary password (the password policy applies); omitted or null: one is generated and returned "
                         "once as temporary_password. The account must choose a new one at its next sign-in")
