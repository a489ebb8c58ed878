"""Invite codes 邀请码: issue for a household or a person, list, and print slips.

An unused code makes a verified account for a named household, so its text is for the
committee that hands it over: supervisors see that codes exist, their state and when
they were used, never the codes themselves, and cannot print slips.
"""

from __future__ import annotations

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.access import village_role
from portal.extensions import db
from portal.htmx import redirect_after_post, render
from portal.manage import services
from portal.manage.blueprint import EDITORS, READERS, bp, can_edit, page_arg
from portal.manage.forms import ConfirmForm, IssueInviteForm
from portal.paging import clamp_page

PER_PAGE = 20
STATUSES = ("unused", "used", "spent")


def _invites_page(village, form: IssueInviteForm | None = None, status: int = 200):
    status_filter = request.args.get("status")
    if status_filter not in STATUSES:
        status_filter = None
    if form is None:
        form = IssueInviteForm(formdata=None)
        form.door_number.data = request.args.get("door", "")[:40]
        form.name.data = request.args.get("name", "")[:40]
    pagination = db.paginate(
        services.invite_list(village, status_filter),
        page=clamp_page(page_arg()),
        per_page=PER_PAGE,
        error_out=False,
    )
    editing = can_edit()
    issued = _int_list(request.args.get("issued", "")) if editing else []
    batch = _int_list(request.args.get("batch", "")) if editing else []
    return render(
        "manage/invites.html",
        status=status,
        village=village,
        form=form,
        bulk_form=ConfirmForm(formdata=None),
        pagination=pagination,
        usage=services.usage_of(list(pagination.items)),
        status_filter=status_filter,
        issued=services.invites_for_print(village, ids=issued) if issued else [],
        batch=batch if len(batch) == 3 else None,
        needing_codes=services.count_households_needing_codes(village),
    )


def _int_list(raw: str, limit: int = services.MAX_BULK) -> list[int]:
    values = []
    for part in raw.replace(" ", ",").split(","):
        if part.isdigit() and len(part) < 12:
            values.append(int(part))
        if len(values) >= limit:
            break
    return values


@bp.get("/invites")
@village_role(*READERS)
def invites(village):
    return _invites_page(village)


@bp.post("/invites")
@village_role(*EDITORS)
def issue_invite(village):
    form = IssueInviteForm()
    if not form.validate_on_submit():
        return _invites_page(village, form, 422)
    try:
        household, resident = services.find_invitee(
            village, form.door_number.data, form.name.data or ""
        )
        invite = services.issue_invite(current_user, village, household, resident)
    except services.ConsoleError as exc:
        target = getattr(form, exc.field or "", None) or form.door_number
        target.errors = [*target.errors, exc.message]
        return _invites_page(village, form, exc.status if exc.status != 404 else 422)
    flash(_("已发出邀请码 %(code)s。", code=invite.code), "success")
    return redirect_after_post(url_for("manage.invites", village=village.slug, issued=invite.id))


@bp.post("/invites/bulk")
@village_role(*EDITORS)
def issue_bulk_invites(village):
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _invites_page(village, status=422)
    try:
        issued = services.issue_bulk_invites(current_user, village)
    except services.ConsoleError as exc:
        flash(exc.message, "error")
        return redirect_after_post(url_for("manage.invites", village=village.slug))
    if not issued:
        flash(_("每一户都已有人注册或已有可用的邀请码，这次没有发新码。"), "info")
        return redirect_after_post(url_for("manage.invites", village=village.slug))
    flash(_("已为 %(n)s 户各发一个邀请码。", n=len(issued)), "success")
    batch = f"{issued[0].id},{issued[-1].id},{len(issued)}"
    return redirect_after_post(url_for("manage.invites", village=village.slug, batch=batch))


@bp.get("/invites/print")
@village_role(*EDITORS)
def print_invites(village):
    """Slips to cut out and hand over at the door: ?ids=1,2,3 or a batch ?first=&last=."""
    ids = _int_list(",".join(request.args.getlist("ids")))
    first = _int_list(request.args.get("first", ""), 1)
    last = _int_list(request.args.get("last", ""), 1)
    first, last = (first[0], last[0]) if first and last else (None, None)
    codes = services.invites_for_print(village, ids=ids, first=first, last=last)
    return render(
        "manage/invites_print.html",
        village=village,
        codes=codes,
        register_url=url_for("auth.register", _external=True),
    )
