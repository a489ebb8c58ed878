"""村务公开 pages: the public list, a notice, the Atom feed, and the committee's console pages.

Public pages: /v/<village>/notices, /v/<village>/notices/<id>, /v/<village>/notices.atom,
a notice's attachments at /v/<village>/notices/<id>/attachments/<id>, and villagers'
questions 质询 posted to /v/<village>/notices/<id>/questions.
Console: /v/<village>/manage/notices/... (committee changes; supervisors read drafts too;
a draft is published from its preview, .../publish, which shows it as villagers will),
and the queue of unanswered questions at /v/<village>/manage/notices/questions.
Each page's context is built by one function; an htmx request aimed at one of its
regions gets that region's block of the same template.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from flask import Blueprint, abort, flash, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2_fragments.flask import render_block
from markupsafe import Markup
from werkzeug.datastructures import FileStorage

from portal import clock
from portal.actions import Refusal, unit_of_work
from portal.auth.access import (
    is_verified_villager,
    load_village,
    login_required,
    roles_in_village,
    village_page,
    village_role,
)
from portal.errors import render_error
from portal.extensions import db
from portal.htmx import is_boosted, is_htmx, redirect_after_post, render
from portal.manage.blueprint import EDITORS, READERS, can_edit
from portal.notices import attachments, questions, schedule, services
from portal.notices.forms import (
    CATEGORY_LABELS,
    WRITABLE_CATEGORIES,
    AnswerForm,
    AttachmentForm,
    ConfirmForm,
    NoticeForm,
    QuestionForm,
    notice_form,
)
from portal.notices.models import (
    TITLE_MAX,
    AttachmentKind,
    Notice,
    NoticeCategory,
    NoticeQuestion,
    NoticeState,
)
from portal.paging import clamp_page
from portal.queues import ReviewQueue
from portal.uploads import sandboxed

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


NOTICE_BLOCKS = {"read-count": "read_count", "questions": "questions"}


def _notice_context(
    village,
    notice: Notice,
    question_form: QuestionForm | None = None,
    question_message: str | None = None,
    asked: bool = False,
) -> dict:
    # The read figure counts the village's verified villagers, each once.
    reader = notice.state == NoticeState.PUBLISHED and is_verified_villager(
        current_user, village.id
    )
    # Who may ask: a visitor is asked to log in; anyone else logged in who may not
    # ask is told why (another village, not yet verified, an archived notice).
    ask_refusal = None
    if current_user.is_authenticated:
        ask_refusal = questions.asking_refusal(current_user, notice)
    asked_page = db.paginate(
        questions.questions_on(notice),
        page=clamp_page(request.args.get("qpage", 1, type=int)),
        per_page=questions.PER_PAGE,
        error_out=False,
    )
    return {
        "village": village,
        "notice": notice,
        "corrects": notice.corrects,
        "corrections": services.corrections_of(notice),
        "attachments": attachments.attachments_of(notice),
        # A villager's page counts them by a small POST once it has loaded (without
        # JavaScript, by a button); the GET itself writes nothing.
        "count_read": reader and not services.has_read(notice, current_user),
        "questions": asked_page,
        "ask_refusal": ask_refusal,
        "question_form": question_form
        if question_form is not None
        else (QuestionForm(formdata=None) if current_user.is_authenticated else None),
        "question_message": question_message,
        "asked": asked,
    }


@bp.get("/v/<village>/notices/<int:notice_id>")
@village_page
def show(village, notice_id: int):
    notice = _public_notice(village, notice_id)
    return render("notices/notice.html", blocks=NOTICE_BLOCKS, **_notice_context(village, notice))


@bp.get("/v/<village>/notices/<int:notice_id>/attachments/<int:attachment_id>")
@village_page
def attachment(village, notice_id: int, attachment_id: int):
    """One attachment, as its own file. A draft's only for its committee and supervisors.

    Sent with the type sniffed at upload, `nosniff`, a policy that lets the file run
    nothing (`sandbox`), inline for images and as a download for PDFs.
    """
    notice = services.get_notice(village, notice_id)
    if notice is None:
        abort(404)
    if not notice.is_public and not (
        current_user.is_authenticated
        and roles_in_village(current_user, village).intersection(READERS)
    ):
        abort(404)
    found = attachments.get_attachment(notice, attachment_id)
    if found is None:
        abort(404)
    is_pdf = found.kind == AttachmentKind.PDF
    path, content_type, name = attachments.served_file(found)  # a photo's ?w=480 rendition
    try:
        response = send_from_directory(
            path.parent,
            path.name,
            mimetype=content_type,
            as_attachment=is_pdf,
            download_name=name,
            conditional=True,
            etag=True,
            max_age=7 * 24 * 3600,
        )
    except FileNotFoundError:
        abort(404)
    response.headers["Content-Disposition"] = attachments.content_disposition(
        "attachment" if is_pdf else "inline", name
    )
    sandboxed(response)
    if notice.is_public:
        # What a published notice carries never changes (corrections are new notices).
        response.cache_control.public = True
    return response


@bp.post("/v/<village>/notices/<int:notice_id>/questions")
@login_required
def ask(village: str, notice_id: int):
    """A villager's question 质询. Anyone logged in reaches the view, so that a villager of
    another village or an account not yet verified is told why, not shown a bare 403."""
    village = load_village(village)
    notice = _public_notice(village, notice_id)
    form = QuestionForm()
    if not form.validate_on_submit():
        return _questions_answer(village, notice, 422, form=form)
    try:
        with unit_of_work():
            questions.ask(current_user, notice, form.body.data)
    except Refusal as error:
        if error.field:
            form.body.errors = [*form.body.errors, error.message]
            return _questions_answer(village, notice, error.status, form=form)
        return _questions_answer(village, notice, error.status, message=error.message)
    done = _("您的问题已经提交，村委会答复后会公开在这里。")
    if is_htmx() and not is_boosted():
        return _questions_answer(village, notice, 200, asked=True)
    flash(done, "success")
    return redirect_after_post(
        url_for(".show", village=village.slug, notice_id=notice.id, _anchor="questions")
    )


def _questions_answer(village, notice: Notice, status: int, form=None, message=None, asked=False):
    """The questions block for htmx, the whole notice page for a plain form."""
    return render(
        "notices/notice.html",
        blocks=NOTICE_BLOCKS,
        status=status,
        **_notice_context(
            village, notice, question_form=form, question_message=message, asked=asked
        ),
    )


@bp.post("/v/<village>/notices/<int:notice_id>/read")
@login_required
def mark_read(village: str, notice_id: int):
    """Count a verified villager of the village as a reader, once; sent by the notice page
    when it has loaded. Anyone else is not counted, and is told why."""
    village = load_village(village)
    if not is_verified_villager(current_user, village.id):
        return render_error(403, _("已读人数只计本村已核实的村民。"))
    with unit_of_work():
        notice = _public_notice(village, notice_id)
        services.mark_read(notice, current_user)
    if not is_htmx():
        return redirect_after_post(url_for(".show", village=village.slug, notice_id=notice.id))
    return render("notices/notice.html", blocks=NOTICE_BLOCKS, **_notice_context(village, notice))


ATOM = "http://www.w3.org/2005/Atom"


@bp.get("/v/<village>/notices.atom")
@village_page
def feed(village):
    """An Atom feed (RFC 4287) of the village's newest published notices; an entry of a
    notice with photos shows its first one, with its caption, and links it as enclosure."""
    notices = services.feed_notices(village)
    photos = attachments.first_photos(n.id for n in notices)
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
        content = notice.body_html
        photo = photos.get(notice.id)
        if photo is not None:
            src = url_for(
                ".attachment",
                village=village.slug,
                notice_id=notice.id,
                attachment_id=photo.id,
                _external=True,
            )
            sub(
                entry,
                "link",
                rel="enclosure",
                href=src,
                type=photo.content_type,
                length=str(photo.size_bytes),
            )
            caption = photo.caption or photo.original_name
            content = (
                Markup(
                    '<figure><img src="{}" alt="{}"><figcaption>{}</figcaption></figure>'
                ).format(src, caption, caption)
                + notice.body_markup
            )
        sub(entry, "content", str(content), type="html")
    body = ET.tostring(root, encoding="unicode", xml_declaration=False)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n' + body,
        200,
        {"Content-Type": "application/atom+xml; charset=utf-8"},
    )


# --- the committee's pages ----------------------------------------------------------


@bp.context_processor
def console_globals() -> dict:
    return {
        "can_edit": can_edit(),
        "cadence_label": lambda cadence: str(schedule.CADENCE_LABELS[cadence]),
    }


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


def _linked_item_arg() -> int | None:
    """The schedule item the notice is written for (the schedule's "为此发布公告" link)."""
    return request.values.get("item", type=int)


def _cover_groups(village, notice: Notice | None, form: NoticeForm, linked: int | None):
    """The schedule's items on the notice form: which periods a draft may be marked for,
    and what it would count for by its date; the linked item first."""
    now = clock.now()
    marks = schedule.marks_of(notice) if notice is not None else []
    if form.covers.data is None:
        form.covers.data = [schedule.cover_value(*mark) for mark in marks]
    groups = schedule.cover_groups(
        schedule.village_statuses(village, now), schedule.local_date(now), marks
    )
    return sorted(groups, key=lambda g: g.status.item.id != linked)


def _form_page(village, form: NoticeForm, mode: str, notice: Notice | None = None, status=200):
    linked = _linked_item_arg()
    groups = _cover_groups(village, notice, form, linked) if mode in ("new", "edit") else []
    return render(
        "notices/manage_form.html",
        status=status,
        village=village,
        form=form,
        mode=mode,
        notice=notice,
        attachments=attachments.attachments_of(notice) if notice and mode == "edit" else [],
        max_attachment_mb=attachments._megabytes(attachments.max_bytes()),
        cover_groups=groups,
        linked=next((g for g in groups if g.status.item.id == linked), None),
    )


def _slots(form) -> list[tuple]:
    """The form's file slots as (file, caption) pairs, for portal/notices/attachments.py:
    a part that is not a file (a forged text field) is no file."""
    return [
        (entry.file.data if isinstance(entry.file.data, FileStorage) else None, entry.caption.data)
        for entry in form.attachments
    ]


def _apply_error(form, error: Refusal) -> None:
    """Show a refusal beside the field it is about: an upload's beside its slot's file or
    caption, anything else beside its own field (the title if it names none)."""
    if error.field == "attachments":
        entries = form.attachments.entries
        slot = getattr(error, "slot", None)
        entry = entries[slot] if slot is not None and slot < len(entries) else entries[0]
        target = entry.caption if getattr(error, "part", None) == "caption" else entry.file
        target.errors = [*target.errors, error.message]
        form.attachments.errors = [e.errors for e in entries]
        return
    target = getattr(form, error.field or "", None) or form.title
    target.errors = [*target.errors, error.message]


@bp.get("/v/<village>/manage/notices/new")
@village_role(*EDITORS)
def manage_new(village):
    """The new-notice form; ?category= preselects a category and ?item= names the schedule
    item it is written for (the disclosure schedule's "publish a notice for this" link: the
    form then says which period the notice will count for). A category the form does not
    offer is ignored."""
    form = NoticeForm(formdata=None)
    category = _category_arg()
    if category in WRITABLE_CATEGORIES:
        form.category.data = category.value
    return _form_page(village, form, "new")


@bp.post("/v/<village>/manage/notices/new")
@village_role(*EDITORS)
def manage_create(village):
    return _form_action(
        village,
        "new",
        None,
        lambda form, files: _with_uploads(
            services.create_draft(
                current_user,
                village,
                category=form.category.data,
                title=form.title.data,
                body=form.body.data,
                covers=form.covers.data,
            ),
            form,
            files,
        ),
        _("草稿已保存。检查无误后，点“发布”公开。"),
    )


def _with_uploads(notice: Notice, form: NoticeForm, files) -> Notice:
    attachments.add_attachments(current_user, notice, _slots(form), files)
    return notice


def _form_action(
    village, mode: str, notice: Notice | None, act, done: str, keep_decision: bool = False
):
    """Submit the notice form: validate, run `act(form, files)` in one transaction, show
    the result.

    A refusal about one field goes back on the form; any other refusal is shown on the
    notice's console page. Nothing is written unless the whole action succeeds: no row,
    and no attachment file left on disk.
    """
    form = notice_form(keep_decision=keep_decision)
    if not form.validate_on_submit():
        return _form_page(village, form, mode, notice, status=422)
    try:
        with attachments.files_kept_if_committed() as files, unit_of_work():
            result = act(form, files)
    except Refusal as error:
        if error.field is None and notice is not None:
            return _show_page(village, notice, status=error.status, message=error.message)
        _apply_error(form, error)
        return _form_page(village, form, mode, notice, status=error.status)
    flash(done, "success")
    return redirect_after_post(url_for(".manage_show", village=village.slug, notice_id=result.id))


def _coverage_context(village, notice: Notice) -> dict:
    """What the notice counts for in the disclosure schedule (a draft: if published now)."""
    now = clock.now()
    statuses = schedule.village_statuses(village, now)
    counts = schedule.counts_for(
        notice, statuses, schedule.local_date(now), schedule.marks_of(notice)
    )
    return {"counts_in_schedule": counts, "has_schedule": bool(statuses)}


def _show_page(
    village,
    notice: Notice,
    status: int = 200,
    message: str | None = None,
    attachment_form: AttachmentForm | None = None,
):
    return render(
        "notices/manage_show.html",
        status=status,
        village=village,
        notice=notice,
        message=message,
        **_coverage_context(village, notice),
        corrects=notice.corrects,
        corrections=services.corrections_of(notice),
        action_form=ConfirmForm(formdata=None),
        attachments=attachments.attachments_of(notice),
        attachment_form=attachment_form or AttachmentForm(formdata=None),
        max_attachment_mb=attachments._megabytes(attachments.max_bytes()),
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
        lambda form, files: _with_uploads(
            services.edit_draft(
                current_user,
                notice,
                category=form.category.data,
                title=form.title.data,
                body=form.body.data,
                covers=form.covers.data or [],
            ),
            form,
            files,
        ),
        _("草稿已保存。"),
    )


@bp.post("/v/<village>/manage/notices/<int:notice_id>/attachments")
@village_role(*EDITORS)
def manage_attach(village, notice_id: int):
    """Add attachments to a draft from its console page (a plain multipart form)."""
    notice = _console_notice(village, notice_id)
    form = AttachmentForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            return _show_page(village, notice, 422, _("页面已过期，请刷新后重新提交。"), form)
        return _show_page(village, notice, 422, attachment_form=form)
    try:
        if not attachments.chosen(_slots(form)):
            raise attachments.AttachmentError(_("请先选择要上传的图片或 PDF 文件。"), slot=0)
        with attachments.files_kept_if_committed() as files, unit_of_work():
            added = attachments.add_attachments(current_user, notice, _slots(form), files)
    except Refusal as error:
        if error.field:
            _apply_error(form, error)
            return _show_page(village, notice, error.status, attachment_form=form)
        return _show_page(village, notice, error.status, error.message)
    flash(_("已添加 %(n)d 个附件。", n=len(added)), "success")
    return redirect_after_post(
        url_for(".manage_show", village=village.slug, notice_id=notice.id, _anchor="attachments")
    )


@bp.post("/v/<village>/manage/notices/<int:notice_id>/attachments/<int:attachment_id>/delete")
@village_role(*EDITORS)
def manage_detach(village, notice_id: int, attachment_id: int):
    notice = _console_notice(village, notice_id)
    try:
        with attachments.files_kept_if_committed() as files, unit_of_work():
            removed = attachments.remove_attachment(current_user, notice, attachment_id, files)
    except Refusal as error:
        if error.status == 404:
            abort(404)
        return _show_page(village, notice, error.status, error.message)
    flash(_("已删除附件：%(name)s", name=removed.original_name), "success")
    return redirect_after_post(
        url_for(".manage_show", village=village.slug, notice_id=notice.id, _anchor="attachments")
    )


def _action(village, notice_id: int, act, done: str):
    """A button on the notice's console page: one transaction, then back to the page."""
    notice = _console_notice(village, notice_id)
    try:
        with unit_of_work():
            act(notice)
    except Refusal as error:
        return _show_page(village, notice, status=error.status, message=error.message)
    flash(done, "success")
    return redirect_after_post(url_for(".manage_show", village=village.slug, notice_id=notice.id))


def _not_a_draft(notice: Notice) -> str:
    if notice.state == NoticeState.PUBLISHED:
        return _("这条公告已经发布了。")
    return _("已归档的公告不能再发布；如需重新公开，请发布一条新公告。")


def _publish_page(village, notice: Notice, status: int = 200):
    """The draft as villagers will see it, from the notice page's own block, and the
    button that publishes it: after publishing, neither its text nor its files change."""
    shown = attachments.attachments_of(notice)
    body = render_block(
        "notices/notice.html",
        "notice_body",
        village=village,
        notice=notice,
        attachments=shown,
    )
    return render(
        "notices/manage_publish.html",
        status=status,
        village=village,
        notice=notice,
        attachments=shown,
        preview_body=Markup(body),
        published_on=clock.now(),
        action_form=ConfirmForm(formdata=None),
        **_coverage_context(village, notice),
    )


@bp.get("/v/<village>/manage/notices/<int:notice_id>/publish")
@village_role(*EDITORS)
def manage_publish_preview(village, notice_id: int):
    notice = _console_notice(village, notice_id)
    if not notice.is_draft:
        return _show_page(village, notice, status=409, message=_not_a_draft(notice))
    return _publish_page(village, notice)


@bp.post("/v/<village>/manage/notices/<int:notice_id>/publish")
@village_role(*EDITORS)
def manage_publish(village, notice_id: int):
    """Publish once the preview was seen (`confirm=1`); unconfirmed, go to the preview."""
    if request.form.get("confirm") != "1":
        _console_notice(village, notice_id)
        return redirect_after_post(
            url_for(".manage_publish_preview", village=village.slug, notice_id=notice_id)
        )
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
    # A correction keeps its original's category, an assembly decision's included.
    form = notice_form(keep_decision=original.category == NoticeCategory.DECISION, formdata=None)
    form.category.data = original.category.value
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
        lambda form, files: _correction_with_uploads(original, form, files),
        _("更正公告已发布，原公告上会显示更正的链接。"),
        keep_decision=original.category == NoticeCategory.DECISION,
    )


def _correction_with_uploads(original: Notice, form: NoticeForm, files) -> Notice:
    correction = services.publish_correction(
        current_user,
        original,
        title=form.title.data,
        body=form.body.data,
        category=form.category.data,
    )
    attachments.attach_to_correction(current_user, correction, _slots(form), files)
    return correction


# --- villagers' questions 质询: the committee's queue --------------------------------


def _answer_form(question_id: int, formdata=None) -> AnswerForm:
    """One answer form per row, its field named after the question so ids stay unique;
    the token is the page's own csrf_token input, checked app-wide before the view."""
    return AnswerForm(prefix=f"q{question_id}", meta={"csrf": False}, formdata=formdata)


# The committee's queue of unanswered questions, oldest first, answered row by row.
QUESTIONS_QUEUE = ReviewQueue(
    template="notices/manage_questions.html",
    row_block="question",
    row_prefix="question-",
    item_name="question",
    counter_block="unanswered_count",
    counter_id="unanswered-count",
    event="questions-changed",
    pending=questions.unanswered,
    form_for=_answer_form,
    per_page=questions.PER_PAGE,
    forms_name="answer_forms",
    total_name="unanswered_total",
)


def _queue_page(
    village,
    status: int = 200,
    failed: NoticeQuestion | None = None,
    form=None,
    message: str | None = None,
):
    return QUESTIONS_QUEUE.page(village, status, failed=failed, form=form, message=message)


@bp.get("/v/<village>/manage/notices/questions")
@village_role(*READERS)
def manage_questions(village):
    """Unanswered questions, oldest first; each answered in place."""
    return _queue_page(village)


@bp.post("/v/<village>/manage/notices/questions/<int:question_id>/answer")
@village_role(*EDITORS)
def manage_answer(village, question_id: int):
    question = questions.get_question(village, question_id)
    if question is None:
        abort(404)
    form = _answer_form(question.id, request.form)
    if not form.validate():
        return _queue_page(village, 422, question, form)
    try:
        with unit_of_work():
            answered = questions.answer(current_user, village, question.id, form.answer.data)
    except Refusal as error:
        if error.status == 404:
            abort(404)
        if error.field:
            form.answer.errors = [*form.answer.errors, error.message]
            return _queue_page(village, error.status, question, form)
        return _queue_page(village, error.status, question, form, error.message)
    return QUESTIONS_QUEUE.done(
        village,
        answered,
        _("已答复，答复已公开在公告下面。"),
        url_for(".manage_questions", village=village.slug),
    )


@bp.errorhandler(413)
def upload_too_large(error):
    """A request over MAX_CONTENT_LENGTH is refused before it is read, with a clear word."""
    return render_error(413, attachments.too_big(attachments.max_bytes()))
