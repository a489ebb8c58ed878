"""The committee's part in accounts, in the console 村务管理: a reset code for a resident
who forgot their password, and freeing a phone number someone else registered with.

Both start at the village office, with the person there: the reset from the residents
list (the person shows their 身份证), the freeing from the verification queue (the
number's owner says the registration is not theirs).
"""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.actions import Refusal
from portal.auth import resets, services
from portal.auth.access import village_role
from portal.auth.forms import FreePhoneForm, IssueResetForm
from portal.htmx import redirect_after_post, render
from portal.manage.blueprint import EDITORS, READERS, bp
from portal.privacy import no_store

# --- reset codes 重设码 -----------------------------------------------------------------


def _subject_or_404(village, resident_id: int) -> resets.ResetSubject:
    try:
        return resets.reset_subject(village, resident_id)
    except Refusal:
        abort(404)


def _reset_page(village, subject, form: IssueResetForm, status: int = 200, problem=None):
    return no_store(
        render(
            "manage/reset.html",
            status=status,
            village=village,
            subject=subject,
            form=form,
            problem=problem,
        )
    )


@bp.get("/residents/<int:resident_id>/reset")
@village_role(*READERS)
def reset_password(village, resident_id: int):
    """Who the code would be for, and (for the committee) the button that issues it."""
    subject = _subject_or_404(village, resident_id)
    return _reset_page(village, subject, IssueResetForm(formdata=None))


@bp.post("/residents/<int:resident_id>/reset")
@village_role(*EDITORS)
def issue_reset(village, resident_id: int):
    """Issue the code and show its slip to print. The code is shown this once: it is kept
    only as a hash, so the slip cannot be shown again (a new code can be issued)."""
    subject = _subject_or_404(village, resident_id)
    form = IssueResetForm()
    if not form.validate_on_submit():
        return _reset_page(village, subject, form, 422)
    try:
        issued = resets.issue_reset(current_user, village, resident_id)
    except Refusal as refusal:
        if refusal.status == 404:
            abort(404)
        return _reset_page(village, subject, form, refusal.status, refusal.message)
    return no_store(
        render(
            "manage/reset_slip.html",
            village=village,
            issued=issued,
            reset_url=url_for("auth.reset", _external=True),
            back_url=url_for("manage.residents", village=village.slug, q=issued.name),
        )
    )


# --- a phone number someone else registered with --------------------------------------


def _phone_page(village, phone: str, holder, form: FreePhoneForm, status: int = 200, problem=None):
    return no_store(
        render(
            "manage/free_phone.html",
            status=status,
            village=village,
            phone=phone,
            holder=holder,
            form=form,
            problem=problem,
        )
    )


@bp.get("/phone")
@village_role(*READERS)
def phone_holder(village):
    """Find the registration that holds a phone number, if it is one of this village's
    not yet verified; anything else reads as "none here"."""
    phone = services.normalize_phone(request.args.get("phone"))[:20]
    holder = services.unverified_holder(village, phone) if phone else None
    form = FreePhoneForm(formdata=None)
    if holder is not None:
        form.user_id.data = holder.id
    return _phone_page(village, phone, holder, form)


@bp.post("/phone/free")
@village_role(*EDITORS)
def free_phone(village):
    form = FreePhoneForm()
    user_id = form.user_id.data
    holder = services.unverified_holder(
        village, services.normalize_phone(request.form.get("phone"))
    )
    if holder is None or str(holder.id) != (user_id or ""):
        abort(404)
    if not form.validate_on_submit():
        return _phone_page(village, holder.phone, holder, form, 422)
    try:
        services.free_phone(current_user, village, holder.id)
    except Refusal as refusal:
        if refusal.status == 404:
            abort(404)
        return _phone_page(village, holder.phone, holder, form, refusal.status, refusal.message)
    flash(_("已释放这个手机号。机主现在可以用它注册了；原来的注册申请已停用。"), "success")
    return redirect_after_post(url_for("manage.phone_holder", village=village.slug))
