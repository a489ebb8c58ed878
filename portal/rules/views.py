"""村规民约 public pages: the rules list, a document, a version, diffs, the vote and its result.

Paths (printed QR codes point at them, keep them):
  /v/<village>/rules                                     the rules in force, votes, consultations
  /v/<village>/rules/<id>                                a document: its versions, its filing
  /v/<village>/rules/<id>/versions/<n>                   the articles, comments, the vote panel
  /v/<village>/rules/<id>/versions/<n>/articles/<k>/comments   one article's thread
  /v/<village>/rules/<id>/versions/<n>/vote              the ballot panel; POST casts or changes
  /v/<village>/rules/<id>/versions/<n>/result            the frozen figures of a closed vote
  /v/<village>/rules/<id>/diff?from=<n>&to=<m>           two versions compared

Every page is whole without JavaScript; with htmx, a request aimed at one region gets
that region's block of the same template, built from the same context function.
No page writes: whether a vote is open is read from the clock (`vote_phase`), and the
roll is frozen by the first ballot (or `flask tick`), not by a page view.
"""

from __future__ import annotations

from fractions import Fraction

from flask import Blueprint, Response, abort, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2_fragments.flask import render_block

from portal import clock
from portal.actions import Refusal, unit_of_work
from portal.auth.access import (
    is_verified_villager,
    load_village,
    login_required,
    village_page,
    villager_standing,
)
from portal.htmx import htmx_target, is_boosted, is_htmx, redirect_after_post, render
from portal.rules import chart, diff, labels, listing, services
from portal.rules.forms import CHOICE_LABELS, BallotForm, CommentForm
from portal.rules.models import (
    BallotChoice,
    RuleArticle,
    RuleVersion,
    TallyVisibility,
    VersionState,
    VotePhase,
)
from portal.villages.models import QuorumMode, Village

bp = Blueprint("rules", __name__)

QUORUM_LABELS = {
    QuorumMode.PERSONS: _l("按人数：有表决权的村民过半数参加"),
    QuorumMode.HOUSEHOLDS: _l("按户数：三分之二以上的户派代表参加"),
}
VOTE_PANEL = "vote"  # the id of the ballot panel, and the anchor a plain POST returns to
VOTE_LIVE = "vote-live"  # the polled turnout (and live tally) inside it
STOP_POLLING = 286  # htmx stops an `every 30s` poll on this status


bp.add_app_template_global(labels.state_label, "rule_state_label")


@bp.app_template_global("choice_label")
def choice_label(choice) -> str:
    return str(CHOICE_LABELS[BallotChoice(choice)])


bp.add_app_template_filter(labels.cn_number, "cn_number")
bp.add_app_template_global(labels.article_label, "article_label")


# --- lookups ----------------------------------------------------------------------------


def _document(village: Village, document_id: int):
    document = listing.document_of(village, document_id)
    if document is None:
        abort(404)
    return document


def _version(village: Village, document_id: int, number: int) -> RuleVersion:
    """A public version of this village's document."""
    version = listing.public_version(village, document_id, number)
    if version is None:
        abort(404)
    return version


def _article(version: RuleVersion, position: int) -> RuleArticle:
    article = listing.article_at(version, position)
    if article is None:
        abort(404)
    return article


# --- the rules index --------------------------------------------------------------------


@bp.get("/v/<village>/rules")
@village_page
def index(village: Village):
    return render(
        "rules/index.html",
        village=village,
        sections=listing.index_sections(village),
        filing_labels=labels.FILING_LABELS,
    )


@bp.get("/v/<village>/rules/<int:document_id>")
@village_page
def document(village: Village, document_id: int):
    doc = _document(village, document_id)
    versions = listing.public_versions(doc)
    if not versions:
        abort(404)
    adopted = next((v for v in versions if v.state == VersionState.ADOPTED), None)
    return render(
        "rules/document.html",
        village=village,
        document=doc,
        versions=versions,
        adopted=adopted,
        current=adopted or versions[-1],
        filings=listing.filings_of(versions),
        filing_labels=labels.FILING_LABELS,
    )


# --- a version, its vote panel ------------------------------------------------------------


def _voter_status(version: RuleVersion) -> dict:
    """What the panel offers the reader: a login prompt, a refusal's reason, or a ballot."""
    if not current_user.is_authenticated:
        return {"voter": "visitor"}
    user = current_user
    standing = villager_standing(user, version.village_id)
    if standing == "unverified":
        return {"voter": "refused", "refusal": _("您的账号还没有通过村委会核实，核实后才能投票。")}
    if standing != "villager":
        return {"voter": "refused", "refusal": _("只有本村已核实的村民可以投票。")}
    if not version.vote_opened:
        return {"voter": "waiting"}
    if not services.on_roll(version, user.resident_id):
        return {"voter": "refused", "refusal": services.not_on_roll_message(version, user.resident)}
    return {"voter": "eligible", "ballot": services.ballot_of(version, user.resident_id)}


def _vote_context(
    version: RuleVersion,
    form: BallotForm | None = None,
    voter_status: dict | None = None,
    **extra,
) -> dict:
    """The ballot panel's context: the window, turnout, the tally if live, the reader's ballot.

    `voter_status`: where the reader stands, when the action that renders the panel has
    just established it (a ballot cast under the roll row's lock), instead of asking again.
    """
    now = clock.now()
    phase = version.vote_phase(now)
    has_vote = phase != VotePhase.NONE
    opened = phase in (VotePhase.OPEN, VotePhase.ENDED, VotePhase.CLOSED)
    turnout, tally = services.counts(version, now) if opened else (None, None)
    context = {
        "has_vote": has_vote,
        "vote_phase": phase.value,
        "vote_open": phase == VotePhase.OPEN,
        "vote_closed": version.result is not None,
        "turnout": turnout,
        "tally": tally,
        "tally_live": version.tally_visibility == TallyVisibility.LIVE,
        "choices": list(BallotChoice),
        "vote_message": None,
        "vote_error": None,
        "just_voted": False,
        "voter": None,
        "ballot": None,
        "refusal": None,
    }
    if has_vote and version.result is None:
        context.update(voter_status or _voter_status(version))
        if context["voter"] == "eligible" and form is None:
            ballot = context["ballot"]
            form = BallotForm(
                formdata=None, data={"choice": ballot.choice.value if ballot else None}
            )
    context["ballot_form"] = form
    context.update(extra)
    return context


def _version_context(village: Village, version: RuleVersion, **vote_extra) -> dict:
    articles = listing.articles_of(version)
    return {
        "village": village,
        "document": version.document,
        "version": version,
        "articles": articles,
        "comment_counts": listing.comment_counts(version),
        "consultation_open": services.consultation_is_open(version),
        **_vote_context(version, **vote_extra),
    }


def _version_page(village: Village, version: RuleVersion, status: int = 200, **vote_extra):
    return render(
        "rules/version.html",
        blocks={VOTE_PANEL: "vote_panel", VOTE_LIVE: "vote_live"},
        status=status,
        **_version_context(village, version, **vote_extra),
    )


@bp.get("/v/<village>/rules/<int:document_id>/versions/<int:number>")
@village_page
def version(village: Village, document_id: int, number: int):
    return _version_page(village, _version(village, document_id, number))


def _block(template: str, block: str, status: int = 200, **context) -> Response:
    """One block of a page's template: what an htmx request that changed something gets back."""
    response = make_response(render_block(template, block, **context), status)
    response.vary.add("HX-Request")
    return response


def _panel(village: Village, version: RuleVersion, status: int = 200, block="vote_panel", **extra):
    """The ballot panel alone (or its polled region), from the version page's own template."""
    context = {"village": village, "document": version.document, "version": version}
    context.update(_vote_context(version, **extra))
    return _block("rules/version.html", block, status, **context)


@bp.get("/v/<village>/rules/<int:document_id>/versions/<int:number>/vote")
@village_page
def vote(village: Village, document_id: int, number: int):
    """The ballot panel: the whole version page, the panel for htmx, or the polled region.

    The poll answers 286 once the vote is no longer open, so htmx stops asking.
    """
    found = _version(village, document_id, number)
    if found.vote_announced_at is None:
        abort(404)
    if htmx_target() == VOTE_LIVE:
        status = 200 if services.vote_is_open(found) else STOP_POLLING
        return _panel(village, found, status, block="vote_live")
    if is_htmx() and not is_boosted():
        return _panel(village, found)
    return _version_page(village, found)


@bp.post("/v/<village>/rules/<int:document_id>/versions/<int:number>/vote")
@login_required
def cast_ballot(village: str, document_id: int, number: int):
    """Cast or change the reader's ballot. Refusals write nothing and say why.

    Plain POST: back to the version page's panel (#vote) with a flash. htmx: the panel,
    swapped in place, with the turnout (and the tally, if live) as they now stand.
    """
    village = load_village(village)
    found = _version(village, document_id, number)
    partial = is_htmx() and not is_boosted()
    form = BallotForm()
    if found.vote_announced_at is None:
        abort(404)
    if not form.validate():
        message = form.choice.errors[0] if form.choice.errors else _("页面已过期，请刷新后重试。")
        return _refuse(village, found, form, 422, message, partial)
    try:
        # The service re-reads the version and locks the roll row: the page's reads join
        # its transaction and the panel is drawn from what it wrote.
        with unit_of_work(keep_loaded=True):
            outcome = services.cast_ballot(found, current_user, form.choice.data)
    except Refusal as refusal:
        return _refuse(village, found, form, refusal.status, refusal.message, partial)
    label = choice_label(outcome.ballot.choice)
    if outcome.changed:
        message = _("您的投票已更改为：%(choice)s。", choice=label)
    else:
        message = _("您的投票已记录：%(choice)s。", choice=label)
    if partial:
        voter_status = {"voter": "eligible", "ballot": outcome.ballot}
        return _panel(
            village, found, vote_message=message, just_voted=True, voter_status=voter_status
        )
    flash(message, "success")
    return redirect_after_post(
        url_for(".version", village=village.slug, document_id=document_id, number=number)
        + "#"
        + VOTE_PANEL
    )


def _refuse(village, version, form, status: int, message: str, partial: bool):
    if partial:
        return _panel(village, version, status, form=form, vote_error=message)
    return _version_page(village, version, status=status, form=form, vote_error=message)


# --- comments on an article ---------------------------------------------------------------


def _thread_context(
    village: Village, version: RuleVersion, article: RuleArticle, form=None, **extra
) -> dict:
    commenter = None
    if current_user.is_authenticated:
        commenter = is_verified_villager(current_user, version.village_id)
    open_ = services.consultation_is_open(version)
    if not (open_ and commenter):
        form = None
    elif form is None:
        form = CommentForm(formdata=None)
    return {
        "village": village,
        "document": version.document,
        "version": version,
        "article": article,
        "comments": listing.thread(article),
        "consultation_open": open_,
        "commenter": commenter,
        "comment_form": form,
        "comment_error": None,
        "comment_message": None,
        "comment_max": services.COMMENT_MAX,
        # In place on the version page, the thread's heading sits under the article's h3.
        "in_place": is_htmx() and not is_boosted(),
        **extra,
    }


def _thread_target(article: RuleArticle) -> str:
    return f"comments-{article.position}"


def _thread_page(village, version, article, status: int = 200, **extra):
    return render(
        "rules/comments.html",
        blocks={_thread_target(article): "thread"},
        status=status,
        **_thread_context(village, version, article, **extra),
    )


@bp.get(
    "/v/<village>/rules/<int:document_id>/versions/<int:number>/articles/<int:position>/comments"
)
@village_page
def comments(village: Village, document_id: int, number: int, position: int):
    """One article's comment thread: a page of its own, or (htmx) the thread in place."""
    found = _version(village, document_id, number)
    return _thread_page(village, found, _article(found, position))


@bp.post(
    "/v/<village>/rules/<int:document_id>/versions/<int:number>/articles/<int:position>/comments"
)
@login_required
def post_comment(village: str, document_id: int, number: int, position: int):
    """A verified villager of the village comments during consultation; nothing else writes."""
    village = load_village(village)
    found = _version(village, document_id, number)
    article = _article(found, position)
    form = CommentForm()
    partial = is_htmx() and not is_boosted()
    if not form.validate():
        status, error = 422, None
        if not form.body.errors:
            error = _("页面已过期，请刷新后重试。")
        return _thread_response(village, found, article, partial, status, form, error)
    try:
        with unit_of_work():
            services.add_comment(current_user, article, form.body.data)
    except Refusal as refusal:
        return _thread_response(
            village, found, article, partial, refusal.status, form, refusal.message
        )
    message = _("您的意见已提交，谢谢。")
    if partial:
        return _thread_response(village, found, article, True, 200, None, None, message)
    flash(message, "success")
    return redirect_after_post(
        url_for(
            ".comments",
            village=village.slug,
            document_id=document_id,
            number=number,
            position=position,
        )
    )


def _thread_response(village, version, article, partial, status, form, error, message=None):
    if not partial:
        return _thread_page(village, version, article, status, form=form, comment_error=error)
    context = _thread_context(
        village, version, article, form=form, comment_error=error, comment_message=message
    )
    return _block("rules/comments.html", "thread", status, **context)


# --- the result ----------------------------------------------------------------------


def _result_figures(version: RuleVersion) -> dict:
    result = version.result
    turnout = result.turnout
    half_needed = turnout // 2 + 1
    if result.quorum_mode == QuorumMode.HOUSEHOLDS:
        quorum_needed = -(-2 * result.household_count // 3)
    else:
        quorum_needed = result.eligible_count // 2 + 1
    pct = chart.percent
    votes = chart.bar_chart(
        _("投票结果"),
        [
            chart.Row(
                _("赞成 %(n)s 票，%(p)s%%", n=result.yes_count, p=pct(result.yes_count, turnout)),
                result.yes_count,
                turnout,
                "yes",
                mark=Fraction(1, 2),
                mark_note=_("竖线：过半数，通过至少要 %(n)s 票赞成", n=half_needed),
            ),
            chart.Row(
                _("反对 %(n)s 票，%(p)s%%", n=result.no_count, p=pct(result.no_count, turnout)),
                result.no_count,
                turnout,
                "no",
            ),
            chart.Row(
                _(
                    "弃权 %(n)s 票，%(p)s%%",
                    n=result.abstain_count,
                    p=pct(result.abstain_count, turnout),
                ),
                result.abstain_count,
                turnout,
                "abstain",
            ),
        ],
    )
    persons_mode = result.quorum_mode == QuorumMode.PERSONS
    taking_part = chart.bar_chart(
        _("参加情况"),
        [
            chart.Row(
                _(
                    "参加表决 %(n)s 人，共 %(total)s 人，%(p)s%%",
                    n=turnout,
                    total=result.eligible_count,
                    p=pct(turnout, result.eligible_count),
                ),
                turnout,
                result.eligible_count,
                "part",
                mark=Fraction(1, 2) if persons_mode else None,
                mark_note=_("竖线：过半数，至少要 %(n)s 人参加", n=quorum_needed)
                if persons_mode
                else None,
            ),
            chart.Row(
                _(
                    "参加户数 %(n)s 户，共 %(total)s 户，%(p)s%%",
                    n=result.households_represented,
                    total=result.household_count,
                    p=pct(result.households_represented, result.household_count),
                ),
                result.households_represented,
                result.household_count,
                "part",
                mark=None if persons_mode else Fraction(2, 3),
                mark_note=None
                if persons_mode
                else _("竖线：三分之二，至少要 %(n)s 户参加", n=quorum_needed),
            ),
            chart.Row(
                _("网上投票 %(n)s 票", n=result.online_count),
                result.online_count,
                turnout,
                "online",
            ),
            chart.Row(
                _("纸质选票 %(n)s 票", n=result.paper_count),
                result.paper_count,
                turnout,
                "paper",
            ),
        ],
    )
    return {
        "result": result,
        "turnout": turnout,
        "turnout_percent": pct(turnout, result.eligible_count),
        "quorum_label": QUORUM_LABELS[result.quorum_mode],
        "quorum_needed": quorum_needed,
        "half_needed": half_needed,
        "charts": [votes, taking_part],
    }


@bp.get("/v/<village>/rules/<int:document_id>/versions/<int:number>/result")
@village_page
def result(village: Village, document_id: int, number: int):
    """The frozen result: 404 until the vote has closed."""
    found = _version(village, document_id, number)
    if found.result is None:
        abort(404)
    return render(
        "rules/result.html",
        village=village,
        document=found.document,
        version=found,
        **_result_figures(found),
    )


# --- diffs ---------------------------------------------------------------------------


def _version_arg(name: str, numbers: set[int]) -> tuple[int | None, str | None]:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None, None
    if not raw.isdecimal() or int(raw) not in numbers:
        return None, _("没有第 %(n)s 版。请从下面的列表里选择版本。", n=raw[:10])
    return int(raw), None


@bp.get("/v/<village>/rules/<int:document_id>/diff")
@village_page
def compare(village: Village, document_id: int):
    """Two versions compared article by article; bad or missing choices get the form and why."""
    doc = _document(village, document_id)
    versions = listing.public_versions(doc)
    if not versions:
        abort(404)
    by_number = {v.number: v for v in versions}
    old_n, old_error = _version_arg("from", set(by_number))
    new_n, new_error = _version_arg("to", set(by_number))
    problem = old_error or new_error
    status = 400 if problem else 200
    comparison = None
    if not problem and (old_n is None or new_n is None):
        if "from" in request.args or "to" in request.args:
            problem, status = _("请选择要比较的两个版本。"), 400
    elif not problem and old_n == new_n:
        problem, status = _("请选择两个不同的版本来比较。"), 400
    if not problem and old_n is not None and new_n is not None:
        older, newer = sorted((by_number[old_n], by_number[new_n]), key=lambda v: v.number)
        old_texts, new_texts, parent_of = listing.diff_inputs(doc, older, newer)
        pairs = diff.lineage_pairs([a.id for a in old_texts], [a.id for a in new_texts], parent_of)
        if older is not by_number[old_n]:
            # Compared backwards (a later version "from", an earlier "to"): the same
            # pairs, read from the later article to the earlier one.
            pairs = {old_id: new_id for new_id, old_id in pairs.items()}
            old_texts, new_texts = new_texts, old_texts
        comparison = diff.compare(old_texts, new_texts, pairs)
    default_from = (
        old_n
        if old_n is not None
        else (versions[-2].number if len(versions) > 1 else versions[0].number)
    )
    default_to = new_n if new_n is not None else versions[-1].number
    return render(
        "rules/diff.html",
        status=status,
        village=village,
        document=doc,
        versions=versions,
        old=by_number.get(old_n) if comparison else None,
        new=by_number.get(new_n) if comparison else None,
        comparison=comparison,
        problem=problem,
        selected_from=default_from,
        selected_to=default_to,
    )
