"""Appointments 任命: grid workers 网格员 and supervisors 村务监督委员会 of the village.

Committee members are appointed by the site admin, not here.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.auth.access import village_role
from portal.auth.models import Role
from portal.extensions import db
from portal.htmx import redirect_after_post, render
from portal.manage import services
from portal.manage.blueprint import EDITORS, READERS, bp
from portal.manage.forms import AppointForm, ConfirmForm
from portal.villages.models import Grid


def _grids(village) -> list[Grid]:
    return list(
        db.session.scalars(sa.select(Grid).where(Grid.village_id == village.id).order_by(Grid.name))
    )


def _roles_page(village, form: AppointForm | None = None, status: int = 200, message: str = ""):
    grids = _grids(village)
    if form is None:
        form = AppointForm(formdata=None)
    form.grid_id.choices = [("", _("（不是网格员就不用选）"))] + [
        (str(g.id), g.name) for g in grids
    ]
    return render(
        "manage/roles.html",
        status=status,
        village=village,
        form=form,
        revoke_form=ConfirmForm(formdata=None),
        grants=services.active_appointments(village),
        grids=grids,
        message=message,
    )


@bp.get("/roles")
@village_role(*READERS)
def roles(village):
    return _roles_page(village)


@bp.post("/roles")
@village_role(*EDITORS)
def appoint(village):
    form = AppointForm()
    grids = _grids(village)
    form.grid_id.choices = [SelectChoice(str(g.id), g.name) for g in grids]
    if not form.validate_on_submit():
        return _roles_page(village, form, 422)
    role = Role(form.role.data)
    grid = None
    if role == Role.GRID_WORKER:
        grid = next((g for g in grids if str(g.id) == form.grid_id.data), None)
    try:
        user = services.verified_villager(village, phone=form.phone.data)
        services.appoint(current_user, village, user, role, grid)
    except services.ConsoleError as exc:
        target = getattr(form, exc.field or "", None)
        if target is not None:
            target.errors = [*target.errors, exc.message]
            return _roles_page(village, form, exc.status)
        return _roles_page(village, form, exc.status, exc.message)
    if role == Role.GRID_WORKER:
        flash(_("已任命%(name)s为%(grid)s的网格员。", name=user.name, grid=grid.name), "success")
    else:
        flash(_("已任命%(name)s为村务监督委员会成员。", name=user.name), "success")
    return redirect_after_post(url_for("manage.roles", village=village.slug))


@bp.post("/roles/<int:grant_id>/revoke")
@village_role(*EDITORS)
def revoke(village, grant_id: int):
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _roles_page(village, status=422, message=_("页面已过期，请刷新后重新提交。"))
    try:
        grant = services.revoke(current_user, village, grant_id)
    except services.ConsoleError as exc:
        if exc.status == 404:
            abort(404)
        return _roles_page(village, status=exc.status, message=exc.message)
    flash(_("已撤销%(name)s的任命。", name=grant.user.name), "success")
    return redirect_after_post(url_for("manage.roles", village=village.slug))
