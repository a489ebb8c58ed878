"""The site operator's pages: towns, villages, committee members and town officials."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields import SelectChoice

from portal.actions import Refusal, unit_of_work
from portal.admin.forms import CommitteeForm, TownForm, TownOfficialForm, VillageForm
from portal.audit.services import record_action
from portal.auth.access import admin_required
from portal.auth.models import Role, RoleGrant, User
from portal.auth.roles import grant_role, revoke_role
from portal.extensions import db
from portal.htmx import redirect_after_post, render
from portal.villages.models import QuorumMode, Town, Village

bp = Blueprint("admin", __name__, url_prefix="/admin")


def forms_with_choices(**bound):
    towns = list(db.session.execute(sa.select(Town.id, Town.name).order_by(Town.name)))
    villages = list(
        db.session.execute(
            sa.select(Village.id, Town.name + " " + Village.name)
            .join(Town)
            .order_by(Town.name, Village.name)
        )
    )
    forms = {
        "town_form": bound.get("town_form") or TownForm(prefix="town"),
        "village_form": bound.get("village_form") or VillageForm(prefix="village"),
        "committee_form": bound.get("committee_form") or CommitteeForm(prefix="committee"),
        "official_form": bound.get("official_form") or TownOfficialForm(prefix="official"),
    }
    forms["village_form"].town_id.choices = [SelectChoice(t.id, t.name) for t in towns]
    forms["official_form"].town_id.choices = [SelectChoice(t.id, t.name) for t in towns]
    forms["committee_form"].village_id.choices = [SelectChoice(v[0], v[1]) for v in villages]
    return forms


def page(status: int = 200, **bound):
    """The admin page's context, built once for the whole page and its blocks."""
    towns = db.session.scalars(
        sa.select(Town).order_by(Town.name).options(sa.orm.selectinload(Town.villages))
    ).all()
    grants = db.session.scalars(
        sa.select(RoleGrant)
        .where(
            RoleGrant.role.in_([Role.COMMITTEE, Role.TOWN_OFFICIAL]),
            RoleGrant.revoked_at.is_(None),
        )
        .order_by(RoleGrant.granted_at.desc())
        .limit(200)
        .options(
            sa.orm.joinedload(RoleGrant.user),
            sa.orm.joinedload(RoleGrant.village),
            sa.orm.joinedload(RoleGrant.town),
        )
    ).all()
    return render(
        "admin/index.html",
        status=status,
        towns=towns,
        grants=grants,
        **forms_with_choices(**bound),
    )


@bp.get("/")
@admin_required
def index():
    return page()


@bp.post("/towns")
@admin_required
def create_town():
    form = TownForm(prefix="town")
    if form.validate_on_submit():
        if db.session.scalar(sa.select(Town.id).where(Town.slug == form.slug.data)):
            form.slug.errors.append(_("这个网址名已被使用。"))
        else:
            with unit_of_work():
                town = Town(name=form.name.data.strip(), slug=form.slug.data)
                db.session.add(town)
                record_action(
                    current_user,
                    Role.ADMIN,
                    "admin.create_town",
                    town,
                    town=town,
                    after={"name": town.name},
                )
            flash(_("已建立%(name)s。", name=town.name), "success")
            return redirect_after_post(url_for("admin.index"))
    return page(422, town_form=form)


@bp.post("/villages")
@admin_required
def create_village():
    form = forms_with_choices(village_form=VillageForm(prefix="village"))["village_form"]
    if form.validate_on_submit():
        if db.session.scalar(sa.select(Village.id).where(Village.slug == form.slug.data)):
            form.slug.errors.append(_("这个网址名已被使用。"))
        else:
            with unit_of_work():
                village = Village(
                    town_id=form.town_id.data,
                    name=form.name.data.strip(),
                    slug=form.slug.data,
                    quorum_mode=QuorumMode(form.quorum_mode.data),
                )
                db.session.add(village)
                db.session.flush()
                record_action(
                    current_user,
                    Role.ADMIN,
                    "admin.create_village",
                    village,
                    village=village,
                    after={"name": village.name},
                )
            flash(_("已建立%(name)s。", name=village.name), "success")
            return redirect_after_post(url_for("admin.index"))
    return page(422, village_form=form)


def user_by_phone(phone: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.phone == phone))


def appoint(form, role: Role, **scope):
    """Grant `role` to the account with the form's phone number, in `scope`; one transaction."""
    user = user_by_phone(form.phone.data)
    if user is None:
        form.phone.errors.append(_("没有用这个手机号码注册的账号。"))
        return None
    try:
        with unit_of_work():
            grant_role(current_user, Role.ADMIN, user, role, **scope)
    except Refusal as error:
        form.phone.errors.append(error.message)
        return None
    return user


@bp.post("/committee")
@admin_required
def appoint_committee():
    form = forms_with_choices(committee_form=CommitteeForm(prefix="committee"))["committee_form"]
    if form.validate_on_submit():
        village = db.session.get(Village, form.village_id.data)
        user = appoint(form, Role.COMMITTEE, village=village)
        if user is not None:
            message = _(
                "已任命%(name)s为%(village)s村委会成员。", name=user.name, village=village.name
            )
            flash(message, "success")
            return redirect_after_post(url_for("admin.index"))
    return page(422, committee_form=form)


@bp.post("/officials")
@admin_required
def appoint_official():
    form = forms_with_choices(official_form=TownOfficialForm(prefix="official"))["official_form"]
    if form.validate_on_submit():
        town = db.session.get(Town, form.town_id.data)
        user = appoint(form, Role.TOWN_OFFICIAL, town=town)
        if user is not None:
            flash(
                _("已任命%(name)s为%(town)s工作人员。", name=user.name, town=town.name), "success"
            )
            return redirect_after_post(url_for("admin.index"))
    return page(422, official_form=form)


@bp.post("/grants/<int:grant_id>/revoke")
@admin_required
def revoke(grant_id: int):
    grant = db.get_or_404(RoleGrant, grant_id)
    if grant.role not in (Role.COMMITTEE, Role.TOWN_OFFICIAL):
        return page(403)
    try:
        with unit_of_work():
            revoke_role(current_user, Role.ADMIN, grant)
    except Refusal as error:
        flash(error.message, "error")
    else:
        flash(_("已撤销%(name)s的职务。", name=grant.user.name), "success")
    return redirect_after_post(url_for("admin.index"))
