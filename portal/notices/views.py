"""村务公开 pages: the public list, a notice, the Atom feed, and the committee's console pages.

Public pages: /v/<village>/notices, /v/<village>/notices/<id>, /v/<village>/notices.atom.
Console: /v/<village>/manage/notices/... (committee changes; supervisors read drafts too).
Each page's context is built by one function; an htmx request aimed at one of its
regions gets that region's block of the same template.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.auth.access import load_village, login_required, village_page, village_role
from portal.database import write_transaction
from portal.extensions import db
from portal.htmx import is_htmx, redirect_after_post, render
from portal.manage.blueprint import EDITORS, READERS, can_edit
from portal.notices import services
from portal.notices.forms import CATEGORY_LABELS, ConfirmForm, NoticeForm
from portal.notices.models import TITLE_MAX, Notice, NoticeCategory, NoticeState
from portal.villages.services import clamp_page

bp = Blueprint("notices", __name__)

STATE_LABELS = {
    NoticeState.DRAFT: _l("草稿"),
    NoticeState.PUBLISHED: _l("已发布"),
    NoticeState.ARCHIVED: _l("已归档"),
}


@bp.app_template_global("notice_category_label")
def category_label(category) -> str:
    return str(CATEGORY_LABELS.get(NoticeCategory(category), ""))


@bp.app_template_global("notice_state_label")
def state_label(state) -> str:
    return str(STATE_LABELS[NoticeState(state)])


def _category_arg() -> NoticeCategory | None:
    try:
        return NoticeCategory(request.args.get("category", ""))
    except ValueError:
        return None


def _page_arg() -> int:
    return clamp_page(request.args.get("page", 1, type=int))


def _public_notice(village, notice_id: int) -> Notice:
    """A published or archived notice of this village; drafts are not public."""
    notice = services.get_notice(village, notice_id)
    if notice is None or not notice.is_public:
        abort(404)
    return notice


def _console_notice(village, notice_id: int) -> Notice:
    notice = services.get_notice(village, notice_id)
    if notice is None:
        abort(404)
    return notice


# --- public pages -------------------------------------------------------------------


@bp.get("/v/<village>/notices")
@village_page
def index(village):
    """Published notices, pinned first; ?category= filters, ?page= pages, htmx loads more."""
    category = _category_arg()
    pagination = db.paginate(
        services.published_notices(village, category),
        page=_page_arg(),
        per_page=services.PER_PAGE,
        error_out=False,
    )
    items = list(pagination.items)
    return render(
        "notices/index.html",
        blocks={"load-more": "more"},
        village=village,
        category=category,
        categories=list(NoticeCategory),
        pagination=pagination,
        notices=items,
        corrected=services.corrected_ids(items),
    )


def _notice_context(village, notice: Notice) -> dict:
    reader = current_user.is_authenticated and notice.state == NoticeState.PUBLISHED
    return {
        "village": village,
        "notice": notice,
        "corrects": notice.corrects,
        "corrections": services.corrections_of(notice),
        # A logged-in reader's page counts them by a small POST once it has loaded;
        # the GET itself writes nothing.
        "count_read": reader and not services.has_read(notice, current_user),
    }


@bp.get("/v/<village>/notices/<int:notice_id>")
@village_page
def show(village, notice_id: int):
    notice = _public_notice(village, notice_id)
    return render(
        "notices/notice.html",
        blocks={"read-count": "read_count"},
        **_notice_context(village, notice),
    )


@bp.post("/v/<village>/notices/<int:notice_id>/read")
@login_required
def mark_read(village: str, notice_id: int):
    """Count the logged-in reader once; sent by the notice page when it has loaded."""
    village = load_village(village)
    write_transaction()
    notice = _public_notice(village, notice_id)
    services.mark_read(notice, current_user)
    db.session.commit()
    if not is_htmx():
        return redirect_after_post(url_for(".show", village=village.slug, notice_id=notice.id))
    return render(
        "notices/notice.html",
        blocks={"read-count": "read_count"},
        **_notice_context(village, notice),
    )


ATOM = "http://www.w3.org/2005/Atom"


@bp.get("/v/<village>/notices.atom")
@village_page
def feed(village):
    """An Atom feed (RFC 4287) of the village's newest published notices."""
    notices = services.feed_notices(village)
    home = url_for(".index", village=village.slug, _external=True)
    self_url = url_for(".feed", village=village.slug, _external=True)
    updated = notices[0].published_at if notices else village.created_at

    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")
    root.set("{http://www.w3.org/XML/1998/namespace}lang", "zh-Hans")

    def sub(parent, tag, text=None, **attrs):
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    sub(root, "id", home)
    sub(root, "title", _("%(village)s村务公开", village=village.name))
    sub(root, "updated", updated.isoformat())
    sub(root, "link", rel="self", href=self_url, type="application/atom+xml")
    sub(root, "link", rel="alternate", href=home, type="text/html")
    author = sub(root, "author")
    sub(author, "name", _("%(village)s村民委员会", village=village.name))
    for notice in notices:
        url = url_for(".show", village=village.slug, notice_id=notice.id, _external=True)
        entry = sub(root, "entry")
        sub(entry, "id", url)
        sub(entry, "title", notice.title)
        sub(entry, "updated", notice.published_at.isoformat())
        sub(entry, "published", notice.published_at.isoformat())
        sub(entry, "link", rel="alternate", href=url, type="text/html")
        sub(entry, "category", term=notice.category.value, label=category_label(notice.category))
        sub(entry, "content", notice.body_html, type="html")
    body = ET.tostring(root, encoding="unicode", xml_declaration=False)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n' + body,
        200,
        {"Content-Type": "application/atom+xml; charset=utf-8"},
    )


# --- the committee's pages ----------------------------------------------------------


@bp.context_processor
def console_globals() -> dict:
    return {"can_edit": can_edit()}


def _state_arg() -> NoticeState | None:
    try:
        return NoticeState(request.args.get("state", ""))
    except ValueError:
        return None


@bp.get("/v/<village>/manage/notices")
@village_role(*READERS)
def manage_list(village):
    state = _state_arg()
    pagination = db.paginate(
        services.committee_notices(village, state),
        page=_page_arg(),
        per_page=services.PER_PAGE,
        error_out=False,
    )
    return render(
        "notices/manage_list.html",
        village=village,
        state=state,
        states=list(NoticeState),
        pagination=pagination,
    )


def _form_page(village, form: NoticeForm, mode: str, notice: Notice | None = None, status=200):
    return render(
        "notices/manage_form.html",
        status=status,
        village=village,
        form=form,
        mode=mode,
        notice=notice,
    )


def _apply_error(form: NoticeForm, error: services.NoticeError) -> None:
    target = getattr(form, error.field or "", None) or form.title
    target.errors = [*target.errors, error.message]


@bp.get("/v/<village>/manage/notices/new")
@village_role(*EDITORS)
def manage_new(village):
    return _form_page(village, NoticeForm(formdata=None), "new")


@bp.post("/v/<village>/manage/notices/new")
@village_role(*EDITORS)
def manage_create(village):
    return _form_action(
        village,
        "new",
        None,
        lambda form: services.create_draft(
            current_user,
            village,
            category=form.category.data,
            title=form.title.data,
            body=form.body.data,
        ),
        _("草稿已保存。检查无误后，点“发布”公开。"),
    )


def _form_action(village, mode: str, notice: Notice | None, act, done: str):
    """Submit the notice form: validate, run `act(form)` in one transaction, show the result.

    A refusal about one field goes back on the form; any other refusal is shown on the
    notice's console page. Nothing is written unless the whole action succeeds.
    """
    form = NoticeForm()
    if not form.validate_on_submit():
        return _form_page(village, form, mode, notice, status=422)
    write_transaction()
    try:
        result = act(form)
        db.session.commit()
    except services.NoticeError as error:
        db.session.rollback()
        if error.field is None and notice is not None:
            return _show_page(village, notice, status=error.status, message=error.message)
        _apply_error(form, error)
        return _form_page(village, form, mode, notice, status=error.status)
    flash(done, "success")
    return redirect_after_post(url_for(".manage_show", village=village.slug, notice_id=result.id))


def _show_page(village, notice: Notice, status: int = 200, message: str | None = None):
    return render(
        "notices/manage_show.html",
        status=status,
        village=village,
        notice=notice,
        message=message,
        corrects=notice.corrects,
        corrections=services.corrections_of(notice),
        action_form=ConfirmForm(formdata=None),
    )


@bp.get("/v/<village>/manage/notices/<int:notice_id>")
@village_role(*READERS)
def manage_show(village, notice_id: int):
    return _show_page(village, _console_notice(village, notice_id))


def _published_refusal(village, notice: Notice):
    return _show_page(
        village,
        notice,
        status=409,
        message=_("已发布的公告不能修改；如有错误，请发布更正公告。"),
    )


@bp.get("/v/<village>/manage/notices/<int:notice_id>/edit")
@village_role(*EDITORS)
def manage_edit(village, notice_id: int):
    notice = _console_notice(village, notice_id)
    if not notice.is_draft:
        return _published_refusal(village, notice)
    form = NoticeForm(formdata=None, obj=notice)
    form.category.data = notice.category.value
    return _form_page(village, form, "edit", notice)


@bp.post("/v/<village>/manage/notices/<int:notice_id>/edit")
@village_role(*EDITORS)
def manage_update(village, notice_id: int):
    notice = _console_notice(village, notice_id)
    if not notice.is_draft:
        return _published_refusal(village, notice)
    return _form_action(
        village,
        "edit",
        notice,
        lambda form: services.edit_draft(
            current_user,
            notice,
            category=form.category.data,
            title=form.title.data,
            body=form.body.data,
        ),
        _("草稿已保存。"),
    )


def _action(village, notice_id: int, act, done: str):
    """A button on the notice's console page: one transaction, then back to the page."""
    notice = _console_notice(village, notice_id)
    write_transaction()
    try:
        act(notice)
        db.session.commit()
    except services.NoticeError as error:
        db.session.rollback()
        return _show_page(village, notice, status=error.status, message=error.message)
    flash(done, "success")
    return redirect_after_post(url_for(".manage_show", village=village.slug, notice_id=notice.id))


@bp.post("/v/<village>/manage/notices/<int:notice_id>/publish")
@village_role(*EDITORS)
def manage_publish(village, notice_id: int):
    return _action(
        village,
        notice_id,
        lambda n: services.publish(current_user, n),
        _("公告已发布，全村都能看到了。"),
    )


@bp.post("/v/<village>/manage/notices/<int:notice_id>/archive")
@village_role(*EDITORS)
def manage_archive(village, notice_id: int):
    return _action(
        village,
        notice_id,
        lambda n: services.archive(current_user, n),
        _("公告已归档：不再列在村务公开里，原链接仍可查看。"),
    )


@bp.post("/v/<village>/manage/notices/<int:notice_id>/pin")
@village_role(*EDITORS)
def manage_pin(village, notice_id: int):
    pinned = request.form.get("pinned") == "1"
    return _action(
        village,
        notice_id,
        lambda n: services.set_pinned(current_user, n, pinned),
        _("已置顶。") if pinned else _("已取消置顶。"),
    )


@bp.get("/v/<village>/manage/notices/<int:notice_id>/correct")
@village_role(*EDITORS)
def manage_correction(village, notice_id: int):
    original = _console_notice(village, notice_id)
    if original.is_draft:
        return _show_page(village, original, 409, _("草稿不需要更正，直接修改即可。"))
    form = NoticeForm(formdata=None)
    form.category.data = (
        original.category.value
        if original.category != NoticeCategory.DECISION
        else NoticeCategory.AFFAIRS.value
    )
    form.title.data = _("更正：%(title)s", title=original.title)[:TITLE_MAX]
    form.body.data = original.body
    return _form_page(village, form, "correct", original)


@bp.post("/v/<village>/manage/notices/<int:notice_id>/correct")
@village_role(*EDITORS)
def manage_correct(village, notice_id: int):
    original = _console_notice(village, notice_id)
    return _form_action(
        village,
        "correct",
        original,
        lambda form: services.publish_correction(
            current_user,
            original,
            title=form.title.data,
            body=form.body.data,
            category=form.category.data,
        ),
        _("更正公告已发布，原公告上会显示更正的链接。"),
    )
