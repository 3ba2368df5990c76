"""The operators page (操作员管理), for administrators: every account with its role, sites, state and last
sign-in; create an account, change its role, site bindings and display name, disable or enable it, and
reset its password. Auditors may read the page; they change nothing.

A temporary password (generated, or typed by the administrator) is shown once, on the page that
answers the creation or the reset, never stored anywhere but as its hash and never put in the session
cookie; that page is not cached. The account must choose its own password at its next sign-in.
Changes go through ``parking.services.operators``, which audits each with before and after.
"""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from parking.services import operators
from parking.services.operators import AccountError, Issued

from ..auth.roles import roles_required
from ..context import db, now
from . import bp
from .operator_forms import (
    PASSWORD_MODES, ROLE_LABELS, OperatorActionForm, OperatorCreateForm, OperatorEditForm, ResetPasswordForm, account_error_message,
)

ID_MAX = 2**31 - 1


def _site_choices() -> list[tuple[str, str]]:
    return [(code, f"{name} ({code})") for code, name in operators.site_choices(db())]


def _account(operator_id: int) -> operators.OperatorView:
    if operator_id > ID_MAX:
        abort(404)
    try:
        return operators.view(db(), operators.find(db(), operator_id=operator_id))
    except AccountError:
        abort(404)


def _field_error(form: OperatorCreateForm | OperatorEditForm | ResetPasswordForm, error: AccountError) -> None:
    field = error.field if error.field in {"sites", "role", "display_name", "username"} else "password"
    target = getattr(form, field, None) or form.password  # type: ignore[union-attr]
    target.errors = [*target.errors, account_error_message(error)]


def _list_page(create_form: OperatorCreateForm, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "console/operators.html",
        accounts=operators.list_operators(db()),
        site_names=dict(operators.site_choices(db())),
        role_labels=ROLE_LABELS,
        site_choices=_site_choices(),
        form=create_form,
        action_form=OperatorActionForm(),
        reset_form=ResetPasswordForm(),
        password_modes=PASSWORD_MODES,
    ), status


def _issued_page(issued: Issued, created: bool) -> ResponseReturnValue:
    response = make_response(render_template("console/operator_issued.html", issued=issued, created=created, role_labels=ROLE_LABELS))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/operators")
@roles_required("admin")
def operators_page() -> ResponseReturnValue:
    return _list_page(OperatorCreateForm())


@bp.route("/operators", methods=["POST"])
@roles_required("admin")
def create_operator() -> ResponseReturnValue:
    form = OperatorCreateForm()
    if not form.validate_on_submit():
        return _list_page(form, 422)
    try:
        issued = operators.create_operator(
            db(), form.username.data or "", form.role.data or "", password=form.typed_password(), display_name=form.display_name.data or "",
            sites=form.sites.data or [], actor_id=current_user.id, now=now())
    except AccountError as error:
        _field_error(form, error)
        return _list_page(form, 422)
    return _issued_page(issued, created=True)


@bp.route("/operators/<int:operator_id>", methods=["GET", "POST"])
@roles_required("admin")
def edit_operator(operator_id: int) -> ResponseReturnValue:
    account = _account(operator_id)
    form = OperatorEditForm(data={"display_name": account.display_name, "role": account.role, "sites": list(account.sites)})
    status = 200
    if form.validate_on_submit():
        try:
            operators.update_operator(db(), operator_id, role=form.role.data, sites=form.sites.data or [], display_name=form.display_name.data or "",
                                      actor_id=current_user.id, now=now())
        except AccountError as error:
            _field_error(form, error)
        else:
            flash(_("已保存操作员“%(name)s”。", name=account.username), "info")
            return redirect(url_for("console.operators_page", _anchor=f"operator-{operator_id}"))
    if form.errors:
        status = 422
    return render_template("console/operator_edit.html", account=account, form=form, role_labels=ROLE_LABELS, site_choices=_site_choices()), status


def _set_active(operator_id: int, active: bool) -> ResponseReturnValue:
    account = _account(operator_id)
    if OperatorActionForm().validate_on_submit():
        try:
            operators.set_active(db(), operator_id, active, actor_id=current_user.id, now=now())
        except AccountError as error:
            flash(account_error_message(error), "error")
        else:
            flash(_("已启用操作员“%(name)s”。", name=account.username) if active
                  else _("已停用操作员“%(name)s”，其所有登录已失效。", name=account.username), "info")
    return redirect(url_for("console.operators_page", _anchor=f"operator-{operator_id}"))


@bp.route("/operators/<int:operator_id>/disable", methods=["POST"])
@roles_required("admin")
def disable_operator(operator_id: int) -> ResponseReturnValue:
    return _set_active(operator_id, False)


@bp.route("/operators/<int:operator_id>/enable", methods=["POST"])
@roles_required("admin")
def enable_operator(operator_id: int) -> ResponseReturnValue:
    return _set_active(operator_id, True)


@bp.route("/operators/<int:operator_id>/reset-password", methods=["POST"])
@roles_required("admin")
def reset_operator_password(operator_id: int) -> ResponseReturnValue:
    account = _account(operator_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            issued = operators.reset_password(db(), operator_id, password=form.typed_password(), actor_id=current_user.id, now=now())
        except AccountError as error:
            _field_error(form, error)
        else:
            return _issued_page(issued, created=False)
    for messages in form.errors.values():
        for message in messages:
            flash(_("重置“%(name)s”的密码未完成：%(reason)s", name=account.username, reason=message), "error")
    return redirect(url_for("console.operators_page", _anchor=f"operator-{operator_id}"))
