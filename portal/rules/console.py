"""村规民约 in the committee console: drafting, consultation, the vote, paper ballots, filing.

/v/<village>/manage/rules                              the documents; create one
/v/<village>/manage/rules/<id>                         its versions; start a new draft
/v/<village>/manage/rules/<id>/versions/<n>            one version, by its state
/v/<village>/manage/rules/<id>/versions/<n>/...        the actions on it (POST)

The committee changes things; the supervision committee 村务监督委员会 reads every page
and changes nothing. Every action is one transaction: the service changes the rows and
adds its action-log row inside one `unit_of_work()`, and a refusal rolls it all back
and is shown beside the form with the refusal's status (422 for the rules' own).
Each page's context is built by one function; an htmx request aimed at one region of
the version page (the article list, the paper-ballot panel, its search results, one
comment) gets that block of the same template.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import contains_eager, joinedload
from werkzeug.routing import BuildError

from portal import clock
from portal.actions import Refusal, unit_of_work
from portal.auth.access import village_role
from portal.extensions import db
from portal.htmx import htmx_target, is_boosted, is_htmx, redirect_after_post, render
from portal.manage.blueprint import EDITORS, READERS, can_edit, page_arg
from portal.paging import clamp_page, clean_query
from portal.rules import services
from portal.rules.labels import article_label, filing_label
from portal.rules.manage_forms import (
    BALLOT_LABELS,
    AnnounceVoteForm,
    ArticleForm,
    ConfirmForm,
    ConsultationForm,
    DocumentForm,
    HideCommentForm,
    PaperBallotForm,
)
from portal.rules.models import (
    ArticleComment,
    Ballot,
    RuleArticle,
    RuleDocument,
    RuleFiling,
    RuleVersion,
    TallyVisibility,
    VersionState,
)
from portal.rules.services import RuleError
from portal.villages.models import Household, Resident

bp = Blueprint("rules_manage", __name__, url_prefix="/v/<village>/manage/rules")

PER_PAGE = 20
COMMENTS_PER_PAGE = 50

TALLY_LABELS = {
    TallyVisibility.LIVE: _l("表决期间公开计票"),
    TallyVisibility.HIDDEN: _l("表决结束后才公布票数"),
}


@bp.context_processor
def console_globals() -> dict:
    return {
        "can_edit": can_edit(),
        "rule_filing_label": filing_label,
    }


def public_version_url(village, version: RuleVersion) -> str | None:
    """The villagers' page of this version, if the public rules pages are there."""
    try:
        return url_for(
            "rules.version",
            village=village.slug,
            document_id=version.document_id,
            number=version.number,
        )
    except BuildError:
        return None


# --- loaders: every object is looked up within the village of the URL ---------------


def _document_or_404(village, document_id: int) -> RuleDocument:
    document = db.session.scalar(
        sa.select(RuleDocument).where(
            RuleDocument.id == document_id, RuleDocument.village_id == village.id
        )
    )
    if document is None:
        abort(404)
    return document


def _version_or_404(village, document_id: int, number: int) -> RuleVersion:
    version = db.session.scalar(
        sa.select(RuleVersion)
        .join(RuleVersion.document)
        .options(contains_eager(RuleVersion.document))
        .where(
            RuleVersion.document_id == document_id,
            RuleVersion.number == number,
            RuleVersion.village_id == village.id,
            RuleDocument.village_id == village.id,
        )
    )
    if version is None:
        abort(404)
    return version


def _article_or_404(version: RuleVersion, article_id: int) -> RuleArticle:
    article = db.session.scalar(
        sa.select(RuleArticle).where(
            RuleArticle.id == article_id, RuleArticle.version_id == version.id
        )
    )
    if article is None:
        abort(404)
    return article


def _comment_or_404(version: RuleVersion, comment_id: int) -> ArticleComment:
    comment = db.session.scalar(
        sa.select(ArticleComment)
        .options(joinedload(ArticleComment.author))
        .where(ArticleComment.id == comment_id, ArticleComment.version_id == version.id)
    )
    if comment is None:
        abort(404)
    return comment


def _version_url(village, version: RuleVersion, **args) -> str:
    return url_for(
        ".version",
        village=village.slug,
        document_id=version.document_id,
        number=version.number,
        **args,
    )


# --- the documents -----------------------------------------------------------------


def _documents_context(village, form: DocumentForm | None = None) -> dict:
    """A page of documents, and per document its version in force and the one under way.

    Two statements for the page (its rows and its total) and one for the versions of
    all its documents, with their filings: the cost does not grow with the rows.
    """
    pagination = db.paginate(
        sa.select(RuleDocument)
        .where(RuleDocument.village_id == village.id)
        .order_by(RuleDocument.created_at.desc(), RuleDocument.id.desc()),
        page=clamp_page(page_arg()),
        per_page=PER_PAGE,
        error_out=False,
    )
    ids = [d.id for d in pagination.items]
    current: dict[int, dict] = {}
    under_way: dict[int, dict] = {}
    if ids:
        rows = db.session.execute(
            sa.select(
                RuleVersion.document_id,
                RuleVersion.number,
                RuleVersion.state,
                RuleVersion.vote_announced_at,
                RuleVersion.adopted_at,
                RuleFiling.state.label("filing_state"),
            )
            .outerjoin(RuleFiling, RuleFiling.version_id == RuleVersion.id)
            .where(
                RuleVersion.village_id == village.id,
                RuleVersion.document_id.in_(ids),
                RuleVersion.state.in_([VersionState.ADOPTED, *services.OPEN_STATES]),
            )
        ).all()
        for row in rows:
            (current if row.state == VersionState.ADOPTED else under_way)[row.document_id] = row
    return {
        "village": village,
        "pagination": pagination,
        "current": current,
        "under_way": under_way,
        "form": form or DocumentForm(formdata=None),
    }


@bp.get("")
@village_role(*READERS)
def index(village):
    return render("rules/manage_index.html", **_documents_context(village))


@bp.post("")
@village_role(*EDITORS)
def create(village):
    form = DocumentForm()
    if not form.validate_on_submit():
        return render("rules/manage_index.html", status=422, **_documents_context(village, form))
    try:
        with unit_of_work():
            document = services.create_document(current_user, village, form.title.data)
    except Refusal as error:
        form.title.errors = [*form.title.errors, error.message]
        return render(
            "rules/manage_index.html", status=error.status, **_documents_context(village, form)
        )
    flash(
        _("已新建《%(title)s》，第 1 版草案已经备好，可以开始写条文。", title=document.title),
        "success",
    )
    return redirect_after_post(
        url_for(".version", village=village.slug, document_id=document.id, number=1)
    )


def _document_context(village, document: RuleDocument, message: str | None = None) -> dict:
    pagination = db.paginate(
        sa.select(RuleVersion)
        .where(RuleVersion.document_id == document.id, RuleVersion.village_id == village.id)
        .order_by(RuleVersion.number.desc()),
        page=clamp_page(page_arg()),
        per_page=PER_PAGE,
        error_out=False,
    )
    ids = [v.id for v in pagination.items]
    filings = (
        dict(
            db.session.execute(
                sa.select(RuleFiling.version_id, RuleFiling.state).where(
                    RuleFiling.version_id.in_(ids)
                )
            ).all()
        )
        if ids
        else {}
    )
    in_progress = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(RuleVersion)
        .where(RuleVersion.document_id == document.id, RuleVersion.state.in_(services.OPEN_STATES))
    )
    return {
        "village": village,
        "document": document,
        "pagination": pagination,
        "filings": filings,
        "can_start_draft": not in_progress,
        "message": message,
        "action_form": ConfirmForm(formdata=None),
    }


@bp.get("/<int:document_id>")
@village_role(*READERS)
def document(village, document_id: int):
    found = _document_or_404(village, document_id)
    return render("rules/manage_document.html", **_document_context(village, found))


@bp.post("/<int:document_id>/drafts")
@village_role(*EDITORS)
def start_draft(village, document_id: int):
    """Start an amendment from the version in force (or after a return for correction)."""
    found = _document_or_404(village, document_id)
    try:
        with unit_of_work():
            version = services.new_draft(current_user, found)
    except Refusal as error:
        return render(
            "rules/manage_document.html",
            status=error.status,
            **_document_context(village, found, error.message),
        )
    flash(_("第 %(n)s 版草案已建好，条文抄自现行版本，可以开始修改。", n=version.number), "success")
    return redirect_after_post(_version_url(village, version))


# --- one version ---------------------------------------------------------------------


def _articles(version: RuleVersion) -> list[RuleArticle]:
    return list(
        db.session.scalars(
            sa.select(RuleArticle)
            .where(RuleArticle.version_id == version.id)
            .order_by(RuleArticle.position, RuleArticle.id)
        )
    )


def _comments(version: RuleVersion):
    """A page of the version's comments, hidden ones too, grouped by article, authors loaded."""
    pagination = db.paginate(
        sa.select(ArticleComment)
        .join(RuleArticle, RuleArticle.id == ArticleComment.article_id)
        .options(joinedload(ArticleComment.author))
        .where(ArticleComment.version_id == version.id)
        .order_by(RuleArticle.position, ArticleComment.created_at, ArticleComment.id),
        page=clamp_page(page_arg()),
        per_page=COMMENTS_PER_PAGE,
        error_out=False,
    )
    by_article: dict[int, list[ArticleComment]] = {}
    for comment in pagination.items:
        by_article.setdefault(comment.article_id, []).append(comment)
    return pagination, by_article


def _roll_search(version: RuleVersion, q: str) -> tuple[list[Resident], dict[int, Ballot], list]:
    """Residents on the roll matching `q`, their households and ballots: three statements.

    The households are returned so the page holds them: while it does, the session's
    identity map answers resident.household without a statement per row.
    """
    residents = services.find_roll_residents(version, q) if q else []
    ballots: dict[int, Ballot] = {}
    households: list[Household] = []
    if residents:
        ids = [r.id for r in residents]
        households = db.session.scalars(
            sa.select(Household).where(Household.id.in_({r.household_id for r in residents}))
        ).all()
        ballots = {
            b.resident_id: b
            for b in db.session.scalars(
                sa.select(Ballot).where(
                    Ballot.version_id == version.id, Ballot.resident_id.in_(ids)
                )
            )
        }
    return residents, ballots, households


def _edit_form(**kwargs) -> ArticleForm:
    """The form editing one article in place, beside the form adding one: its fields are
    prefixed so the ids stay unique; the token is the page's csrf_token input, which the
    app-wide CSRF protection checks before the view runs."""
    return ArticleForm(prefix="edit", meta={"csrf": False}, **kwargs)


def _default_consultation_end(village):
    return clock.today_local() + timedelta(days=village.consultation_days)


def _default_vote_days(village, version: RuleVersion):
    """The earliest opening day the notice period allows, after the consultation; a week."""
    opens = clock.today_local() + timedelta(days=village.vote_notice_days)
    if version.consultation_ends_at is not None:
        after_consultation = services._local_date(version.consultation_ends_at) + timedelta(days=1)
        opens = max(opens, after_consultation)
    return opens, opens + timedelta(days=6)


def _version_context(
    village,
    version: RuleVersion,
    *,
    message: str | None = None,
    done: str | None = None,
    article_form: ArticleForm | None = None,
    edit_form: ArticleForm | None = None,
    editing: int | None = None,
    consultation_form: ConsultationForm | None = None,
    announce_form: AnnounceVoteForm | None = None,
    ballot_message: str | None = None,
    ballot_done: str | None = None,
    hide_errors: dict[int, str] | None = None,
    hide_values: dict[int, str] | None = None,
    comment: ArticleComment | None = None,
    q: str | None = None,
) -> dict:
    """Everything the version page shows, for the whole page or any of its blocks."""
    # The state as the clock has it: a vote whose opening time has come is voting, its
    # roll frozen by the first ballot or `flask tick`, not by this page.
    state = version.shown_state
    document = version.document
    context = {
        "village": village,
        "document": document,
        "version": version,
        "state": state,
        "version_url": _version_url(village, version),
        "articles": _articles(version),
        "message": message,
        "done": done,
        "action_form": ConfirmForm(formdata=None),
        "public_url": public_version_url(village, version),
        "tally_labels": TALLY_LABELS,
        "ballot_labels": BALLOT_LABELS,
        "comment": comment,
        "hide_errors": hide_errors or {},
        "hide_values": hide_values or {},
    }
    if state == VersionState.DRAFT:
        if editing is not None and edit_form is None:
            article = next((a for a in context["articles"] if a.id == editing), None)
            if article is not None:
                edit_form = _edit_form(formdata=None, obj=article)
            else:
                editing = None
        context.update(
            article_form=article_form or ArticleForm(formdata=None),
            edit_form=edit_form,
            editing=editing,
            consultation_form=consultation_form
            or ConsultationForm(formdata=None, ends_on=_default_consultation_end(village)),
        )
    if state != VersionState.DRAFT and version.consultation_opened_at is not None:
        comments, by_article = _comments(version)
        context.update(comments=comments, comments_by_article=by_article)
    if state == VersionState.CONSULTATION and not version.vote_announced:
        opens_on, closes_on = _default_vote_days(village, version)
        context["announce_form"] = announce_form or AnnounceVoteForm(
            formdata=None,
            opens_on=opens_on,
            closes_on=closes_on,
        )
        context["notice_days"] = village.vote_notice_days
    if version.vote_announced:
        if q is None:
            q = clean_query(request.args.get("q"))
        now = clock.now()
        residents, ballots, households = (
            _roll_search(version, q) if state == VersionState.VOTING else ([], {}, [])
        )
        context.update(
            turnout=services.turnout(version, now),
            tally=services.tally(version),
            q=q,
            residents=residents,
            ballots=ballots,
            households=households,
            ballot_message=ballot_message,
            ballot_done=ballot_done,
            can_enter_ballots=state == VersionState.VOTING,
            can_close=state == VersionState.VOTING and now >= version.vote_closes_at,
            vote_is_open=services.vote_is_open(version, now),
        )
    if version.result is not None:
        context["result"] = version.result
    if state in (VersionState.ADOPTED, VersionState.SUPERSEDED, VersionState.REJECTED):
        filing = db.session.scalar(sa.select(RuleFiling).where(RuleFiling.version_id == version.id))
        in_progress = (
            services.version_in_progress(document) if state != VersionState.SUPERSEDED else None
        )
        context.update(filing=filing, can_start_draft=in_progress is None, in_progress=in_progress)
    return context


# Regions of the version page an htmx request may ask for, by the id of the element swapped.
VERSION_BLOCKS = {
    "article-list": "articles",
    "paper-ballot": "paper_ballot",
    "roll-results": "roll_results",
}


def _version_blocks(version: RuleVersion, comment: ArticleComment | None) -> dict[str, str]:
    """The regions the version page shows in the version's present state: the article
    list while a draft, the paper-ballot panel and its search while the vote is open,
    a comment once there are comments. Any other target gets the whole page."""
    state = version.shown_state
    blocks = {}
    if state == VersionState.DRAFT:
        blocks["article-list"] = VERSION_BLOCKS["article-list"]
    if state == VersionState.VOTING and version.vote_announced:
        blocks["paper-ballot"] = VERSION_BLOCKS["paper-ballot"]
        blocks["roll-results"] = VERSION_BLOCKS["roll-results"]
    target = htmx_target()
    if (
        target
        and target.startswith("comment-")
        and comment is not None
        and state != VersionState.DRAFT
        and version.consultation_opened_at is not None
    ):
        blocks[target] = "comment"
    return blocks


def _version_page(village, version: RuleVersion, status: int = 200, **extras):
    blocks = _version_blocks(version, extras.get("comment"))
    return render(
        "rules/manage_version.html",
        blocks=blocks,
        status=status,
        **_version_context(village, version, **extras),
    )


@bp.get("/<int:document_id>/versions/<int:number>")
@village_role(*READERS)
def version(village, document_id: int, number: int):
    found = _version_or_404(village, document_id, number)
    editing = request.args.get("edit", type=int)
    return _version_page(village, found, editing=editing)


def _in_place() -> bool:
    """An htmx request that swaps one region (not a boosted page load)."""
    return is_htmx() and not is_boosted()


def _after(village, version: RuleVersion, done: str, anchor: str | None = None, **extras):
    """After a successful action: the region again for htmx, else post/redirect/get."""
    if _in_place() and htmx_target() in VERSION_BLOCKS:
        db.session.expire_all()
        return _version_page(village, version, done=done, **extras)
    flash(done, "success")
    url = _version_url(village, version, **({"q": extras["q"]} if extras.get("q") else {}))
    return redirect_after_post(url + (f"#{anchor}" if anchor else ""))


# --- articles (draft) -----------------------------------------------------------------


@bp.post("/<int:document_id>/versions/<int:number>/articles")
@village_role(*EDITORS)
def add_article(village, document_id: int, number: int):
    found = _version_or_404(village, document_id, number)
    form = ArticleForm()
    if not form.validate_on_submit():
        return _version_page(village, found, 422, article_form=form)
    try:
        with unit_of_work():
            article = services.add_article(
                current_user, found, form.body.data, title=form.title.data
            )
    except Refusal as error:
        return _version_page(village, found, error.status, article_form=form, message=error.message)
    return _after(
        village,
        found,
        _("已添加%(article)s。", article=article_label(article.position)),
        anchor=f"article-{article.id}",
    )


@bp.post("/<int:document_id>/versions/<int:number>/articles/<int:article_id>")
@village_role(*EDITORS)
def edit_article(village, document_id: int, number: int, article_id: int):
    found = _version_or_404(village, document_id, number)
    article = _article_or_404(found, article_id)
    form = _edit_form()
    if not form.validate():
        return _version_page(village, found, 422, edit_form=form, editing=article.id)
    try:
        with unit_of_work():
            services.edit_article(current_user, article, form.body.data, title=form.title.data)
    except Refusal as error:
        return _version_page(
            village, found, error.status, edit_form=form, editing=article.id, message=error.message
        )
    return _after(
        village,
        found,
        _("%(article)s已保存。", article=article_label(article.position)),
        anchor=f"article-{article.id}",
    )


@bp.post("/<int:document_id>/versions/<int:number>/articles/<int:article_id>/move")
@village_role(*EDITORS)
def move_article(village, document_id: int, number: int, article_id: int):
    found = _version_or_404(village, document_id, number)
    article = _article_or_404(found, article_id)
    position = request.form.get("position", type=int)
    try:
        with unit_of_work():
            if position is None:
                raise RuleError(_("条文位置无效。"))
            services.move_article(current_user, article, position)
    except Refusal as error:
        return _version_page(village, found, error.status, message=error.message)
    return _after(
        village,
        found,
        _("已移到%(article)s。", article=article_label(position)),
        anchor=f"article-{article.id}",
    )


def _remove_url(village, version: RuleVersion, article: RuleArticle) -> str:
    return url_for(
        ".confirm_remove_article",
        village=village.slug,
        document_id=version.document_id,
        number=version.number,
        article_id=article.id,
    )


@bp.get("/<int:document_id>/versions/<int:number>/articles/<int:article_id>/remove")
@village_role(*EDITORS)
def confirm_remove_article(village, document_id: int, number: int, article_id: int):
    """删除 asks first: the article as it stands, and a button that removes it. With
    JavaScript the button on the version page asks in the browser and comes confirmed."""
    found = _version_or_404(village, document_id, number)
    article = _article_or_404(found, article_id)
    try:
        services._require_draft(found)
    except RuleError as error:
        return _version_page(village, found, error.status, message=error.message)
    return render(
        "rules/manage_remove_article.html",
        village=village,
        document=found.document,
        version=found,
        article=article,
        version_url=_version_url(village, found),
        remove_url=_remove_url(village, found, article),
        action_form=ConfirmForm(formdata=None),
    )


@bp.post("/<int:document_id>/versions/<int:number>/articles/<int:article_id>/remove")
@village_role(*EDITORS)
def remove_article(village, document_id: int, number: int, article_id: int):
    """Remove an article once confirmed (`confirm=1`); unconfirmed, go and ask first."""
    found = _version_or_404(village, document_id, number)
    article = _article_or_404(found, article_id)
    position = article.position
    if request.form.get("confirm") != "1":
        try:
            services._require_draft(found)
        except RuleError as error:
            return _version_page(village, found, error.status, message=error.message)
        return redirect_after_post(_remove_url(village, found, article))
    try:
        with unit_of_work():
            services.remove_article(current_user, article)
    except Refusal as error:
        return _version_page(village, found, error.status, message=error.message)
    return _after(
        village,
        found,
        _("已删除原%(article)s，后面的条文已重新编号。", article=article_label(position)),
    )


# --- consultation 征求意见 -------------------------------------------------------------


@bp.post("/<int:document_id>/versions/<int:number>/consultation")
@village_role(*EDITORS)
def open_consultation(village, document_id: int, number: int):
    found = _version_or_404(village, document_id, number)
    form = ConsultationForm()
    if not form.validate_on_submit():
        return _version_page(village, found, 422, consultation_form=form)
    try:
        with unit_of_work():
            services.open_consultation(current_user, found, ends_at=form.ends_at())
    except Refusal as error:
        if found.state == VersionState.DRAFT:
            form.form_errors.append(error.message)
            return _version_page(village, found, error.status, consultation_form=form)
        return _version_page(village, found, error.status, message=error.message)
    flash(_("已开始征求意见：村民可以在村规民约页面逐条提意见了。"), "success")
    return redirect_after_post(_version_url(village, found))


@bp.post("/<int:document_id>/versions/<int:number>/comments/<int:comment_id>/hide")
@village_role(*EDITORS)
def hide_comment(village, document_id: int, number: int, comment_id: int):
    found = _version_or_404(village, document_id, number)
    comment = _comment_or_404(found, comment_id)
    form = HideCommentForm(meta={"csrf": False})
    reason = form.reason.data or ""
    if not form.validate():
        return _version_page(
            village,
            found,
            422,
            comment=comment,
            hide_errors={comment.id: " ".join(str(e) for e in form.reason.errors)},
            hide_values={comment.id: reason},
        )
    try:
        with unit_of_work():
            comment = _comment_or_404(found, comment_id)
            services.hide_comment(current_user, comment, reason)
    except Refusal as error:
        return _version_page(
            village,
            found,
            error.status,
            comment=_comment_or_404(found, comment_id),
            message=error.message,
            hide_errors={comment_id: error.message},
            hide_values={comment_id: reason},
        )
    if _in_place() and htmx_target() == f"comment-{comment_id}":
        return _version_page(village, found, comment=_comment_or_404(found, comment_id))
    flash(_("这条意见已隐藏，理由会留存备查。"), "success")
    return redirect_after_post(_version_url(village, found) + f"#comment-{comment_id}")


# --- the vote 村民会议表决 ---------------------------------------------------------------


@bp.post("/<int:document_id>/versions/<int:number>/vote")
@village_role(*EDITORS)
def announce_vote(village, document_id: int, number: int):
    found = _version_or_404(village, document_id, number)
    form = AnnounceVoteForm()
    if not form.validate_on_submit():
        return _version_page(village, found, 422, announce_form=form)
    try:
        with unit_of_work():
            services.announce_vote(
                current_user,
                found,
                opens_at=form.opens_at(),
                closes_at=form.closes_at(),
                tally_visibility=form.tally_visibility.data,
            )
    except Refusal as error:
        if found.state == VersionState.CONSULTATION and not found.vote_announced:
            form.form_errors.append(error.message)
            return _version_page(village, found, error.status, announce_form=form)
        return _version_page(village, found, error.status, message=error.message)
    flash(_("表决已公告，村规民约页面和村首页都会显示。"), "success")
    return redirect_after_post(_version_url(village, found))


def _roll_resident(village, resident_id: int | None) -> Resident | None:
    if resident_id is None:
        return None
    return db.session.scalar(
        sa.select(Resident).where(Resident.id == resident_id, Resident.village_id == village.id)
    )


@bp.post("/<int:document_id>/versions/<int:number>/paper-ballots")
@village_role(*EDITORS)
def paper_ballot(village, document_id: int, number: int):
    """A clerk enters one paper ballot of the assembly."""
    found = _version_or_404(village, document_id, number)
    form = PaperBallotForm(meta={"csrf": False})
    q = clean_query(request.form.get("q"))

    def refused(message: str, status: int = 422):
        if found.shown_state != VersionState.VOTING:
            return _version_page(village, found, status, message=message)
        return _version_page(village, found, status, ballot_message=message, q=q)

    if not form.validate():
        errors = form.choice.errors or form.resident_id.errors
        message = str(errors[0]) if form.choice.errors else _("请先查找并选定一位村民。")
        return refused(message)
    resident = _roll_resident(village, form.resident_id.data)
    if resident is None:
        return refused(_("名单上没有这个人，请重新查找。"))
    try:
        with unit_of_work():
            services.enter_paper_ballot(current_user, found, resident, form.choice.data)
    except Refusal as error:
        return refused(error.message, error.status)
    done = _(
        "已录入%(name)s的纸质选票：%(choice)s。",
        name=resident.name,
        choice=BALLOT_LABELS[form.choice.data],
    )
    return _after(village, found, done, anchor="paper-ballot", q=q, ballot_done=done)


@bp.post("/<int:document_id>/versions/<int:number>/close")
@village_role(*EDITORS)
def close_vote(village, document_id: int, number: int):
    found = _version_or_404(village, document_id, number)
    try:
        with unit_of_work():
            result = services.close_vote(current_user, found)
    except Refusal as error:
        return _version_page(village, found, error.status, message=error.message)
    done = (
        _("表决已结束：通过。结果已作为“会议决定”公告。")
        if result.passed
        else _("表决已结束：未通过。结果已作为“会议决定”公告。")
    )
    flash(done, "success")
    return redirect_after_post(_version_url(village, found))


# --- filing 备案 -------------------------------------------------------------------------


@bp.post("/<int:document_id>/versions/<int:number>/filing")
@village_role(*EDITORS)
def submit_filing(village, document_id: int, number: int):
    found = _version_or_404(village, document_id, number)
    try:
        with unit_of_work():
            services.submit_filing(current_user, found)
    except Refusal as error:
        return _version_page(village, found, error.status, message=error.message)
    flash(_("已报送镇街备案，办理结果会显示在这里。"), "success")
    return redirect_after_post(_version_url(village, found))
