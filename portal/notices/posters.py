"""A4 posters for the village notice board 公示栏: a notice or an open vote, with a QR code.

Many villagers read the board at the village office, not a phone. A poster is an
ordinary page of the site, laid out for one A4 sheet by print CSS (static/css/poster.css,
linked only from these pages): the committee opens it and prints it with the
browser's own print command (no script). The QR code is an SVG drawn here with segno,
inline, with no style attribute (the CSP allows no inline style), and the address it
encodes is printed beside it for those who type it.

- /v/<village>/notices/<id>/poster: a published notice, with its first photo and the
  photo's caption when it has one. A long body is shortened to what fits one sheet
  (less beside a photo), with "全文请扫码查看".
- /v/<village>/rules/<document_id>/versions/<n>/poster: a vote announced or open:
  what is voted on, when, how to vote online and at the assembly. No count of votes:
  a sheet pinned up cannot keep one true; the QR code leads to the live figures.
"""

from __future__ import annotations

import io

import segno
import sqlalchemy as sa
from flask import Blueprint, abort, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape
from werkzeug.routing import BuildError

from portal.auth.access import village_page
from portal.extensions import db
from portal.htmx import render
from portal.notices import attachments, services
from portal.notices.models import NoticeState
from portal.rules.models import RuleDocument, RuleVersion, VersionState
from portal.search.services import html_to_text

bp = Blueprint("posters", __name__)

# What fits one A4 sheet at the poster's type size, beside the title and the QR code:
# a longer body is shown as plain text cut to this many characters.
BODY_FITS = 600
# Beside a photo (at most a third of the sheet's height), a little over half as much.
BODY_FITS_WITH_PHOTO = 350
ARTICLE_TITLES_FIT = 16


def qr_svg(url: str, label: str, css_class: str = "poster-qr") -> Markup:
    """The QR code of `url` as inline SVG: black modules, a four-module quiet zone, sized by
    CSS (no width or height, no style attribute), named for assistive technology. The
    posters and the households' points cards print theirs with it."""
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        out,
        kind="svg",
        xmldecl=False,
        svgns=True,
        nl=False,
        omitsize=True,
        border=4,
        dark="#000",
        light="#fff",
        svgclass=css_class,
        lineclass=None,
    )
    svg = out.getvalue().decode("ascii")
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1))


def _url(endpoint: str, fallback: str, **values) -> str:
    """An absolute URL; the path DESIGN.md 4 fixes if that page's endpoint is not there."""
    try:
        return url_for(endpoint, _external=True, **values)
    except BuildError:
        return url_for("public.index", _external=True).rstrip("/") + fallback


@bp.get("/v/<village>/notices/<int:notice_id>/poster")
@village_page
def notice(village, notice_id: int):
    found = services.get_notice(village, notice_id)
    if found is None or found.state != NoticeState.PUBLISHED:
        abort(404)
    url = url_for("notices.show", village=village.slug, notice_id=found.id, _external=True)
    photo = attachments.first_photo(attachments.attachments_of(found))
    fits = BODY_FITS_WITH_PHOTO if photo is not None else BODY_FITS
    text = html_to_text(found.body_html)
    shortened = None
    if len(text) > fits:
        shortened = [line for line in text[:fits].rstrip().splitlines() if line]
    return render(
        "notices/poster.html",
        village=village,
        notice=found,
        photo=photo,
        shortened=shortened,
        url=url,
        qr=qr_svg(url, _("二维码，扫码打开 %(url)s", url=url)),
    )


@bp.get("/v/<village>/rules/<int:document_id>/versions/<int:number>/poster")
@village_page
def vote(village, document_id: int, number: int):
    version = db.session.scalar(
        sa.select(RuleVersion)
        .join(RuleDocument)
        .where(
            RuleDocument.village_id == village.id,
            RuleVersion.document_id == document_id,
            RuleVersion.number == number,
        )
    )
    announced = (
        version is not None
        and version.state == VersionState.CONSULTATION
        and version.vote_announced_at is not None
    )
    if not (announced or (version is not None and version.state == VersionState.VOTING)):
        abort(404)
    path = f"/v/{village.slug}/rules/{document_id}/versions/{number}/vote"
    url = _url("rules.vote", path, village=village.slug, document_id=document_id, number=number)
    articles = version.articles
    return render(
        "rules/poster.html",
        village=village,
        document=version.document,
        version=version,
        articles=articles[:ARTICLE_TITLES_FIT],
        more_articles=max(0, len(articles) - ARTICLE_TITLES_FIT),
        url=url,
        qr=qr_svg(url, _("二维码，扫码打开 %(url)s", url=url)),
    )
