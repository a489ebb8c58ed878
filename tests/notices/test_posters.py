"""A4 posters: a published notice and an announced or open vote, with a QR code to the page."""

from __future__ import annotations

import io
import re

import pytest
import segno

from portal.auth.models import Role
from portal.extensions import db
from portal.notices import services
from portal.notices.posters import BODY_FITS
from portal.rules import services as rules
from tests.conftest import htmx_headers
from tests.factories import VillageFactory, official, villager
from tests.notices.conftest import make_notice
from tests.rules import factories as rf


def qr_path(url: str) -> str:
    """The path segno draws for `url`, made here independently of the page."""
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind="svg", border=4, nl=False)
    return re.search(r' d="([^"]+)"', out.getvalue().decode()).group(1)


def svg_of(page: str) -> str:
    return re.search(r"<svg[^>]*>.*?</svg>", page, re.S).group(0)


def test_notice_poster(client, notice, village):
    page = client.get(f"/v/hubin/notices/{notice.id}/poster")
    assert page.status_code == 200
    url = f"http://localhost/v/hubin/notices/{notice.id}"
    assert notice.title in page.text and "湖滨村" in page.text
    assert url in page.text  # printed for those who type it
    svg = svg_of(page.text)
    assert f'd="{qr_path(url)}"' in svg
    assert 'role="img"' in svg and "aria-label=" in svg
    assert "style=" not in svg and "<script>" not in page.text
    assert "css/poster." in page.text
    assert "打印" in page.text
    assert "<li>请绕行</li>" in page.text  # the body, as the notice page shows it


def test_poster_css_only_on_posters(client, notice):
    assert "css/poster." not in client.get(f"/v/hubin/notices/{notice.id}").text


def test_notice_page_links_its_poster(client, notice):
    """Outside hx-boost: a boosted swap keeps the page's head, so poster.css would be lost."""
    page = client.get(f"/v/hubin/notices/{notice.id}")
    assert f'hx-boost="false" href="/v/hubin/notices/{notice.id}/poster"' in page.text


def test_a_long_notice_is_shortened(client, committee, village):
    long = make_notice(committee, village, body="\n\n".join(["村里修路。" * 40] * 6))
    page = client.get(f"/v/hubin/notices/{long.id}/poster")
    assert "全文请扫码查看" in page.text
    body = re.search(r'<div class="poster-body">(.*?)</div>', page.text, re.S).group(1)
    assert len(re.sub(r"<[^>]+>|\s", "", body)) < BODY_FITS + 40


def test_drafts_archived_and_other_villages_have_no_poster(client, committee, village, draft):
    assert client.get(f"/v/hubin/notices/{draft.id}/poster").status_code == 404
    archived = make_notice(committee, village, title="旧公告")
    services.archive(committee, archived)
    db.session.commit()
    assert client.get(f"/v/hubin/notices/{archived.id}/poster").status_code == 404
    other = VillageFactory(slug="donggang")
    theirs = make_notice(official(Role.COMMITTEE, village=other), other)
    assert client.get(f"/v/hubin/notices/{theirs.id}/poster").status_code == 404
    assert client.get(f"/v/donggang/notices/{theirs.id}/poster").status_code == 200
    assert client.get("/v/hubin/notices/999999/poster").status_code == 404
    assert client.get("/v/nowhere/notices/1/poster").status_code == 404


def test_a_boosted_request_gets_the_whole_poster(client, notice):
    page = client.get(
        f"/v/hubin/notices/{notice.id}/poster", headers=htmx_headers(**{"HX-Boosted": "true"})
    )
    assert page.status_code == 200 and "<html" in page.text


# --- the vote poster ----------------------------------------------------------------


def vote_path(version) -> str:
    return f"/v/hubin/rules/{version.document_id}/versions/{version.number}"


def test_vote_poster_announced(client, village, committee):
    version = rf.announced(village, committee)
    page = client.get(vote_path(version) + "/poster")
    assert page.status_code == 200
    assert "湖滨村村规民约" in page.text and "表决开始" in page.text
    url = "http://localhost" + vote_path(version) + "/vote"
    assert url in page.text
    assert f'd="{qr_path(url)}"' in svg_of(page.text)
    assert "网上投票" in page.text and "纸质选票" in page.text


def test_vote_poster_prints_the_dates_the_question_and_the_code_but_no_count(
    client, village, committee
):
    """A pinned-up sheet cannot keep a turnout true: it says when and what, and the QR
    code leads to the live figures."""
    voters = [villager(village) for _ in range(3)]
    version = rf.voting(village, committee)
    rules.cast_ballot(version, voters[0], "yes", rf.during(version))
    db.session.commit()
    page = client.get(vote_path(version) + "/poster")
    assert page.status_code == 200
    poster = page.text.split('<article class="poster')[1].split("</article>")[0]
    assert "关于表决《湖滨村村规民约》（第 1 版）的公告" in poster
    assert "表决开始" in poster and "表决截止" in poster
    assert f'd="{qr_path("http://localhost" + vote_path(version) + "/vote")}"' in poster
    for count in ("目前参加", "有表决权的村民 3 人", "1 人", "33%", "已投票"):
        assert count not in poster, count
    assert "poster-roomy" in page.text.split("<article")[1].split(">")[0]


def test_vote_pages_link_their_poster_while_it_exists(client, village, committee):
    from tests.conftest import login_as

    version = rf.announced(village, committee)
    link = f'hx-boost="false" href="{vote_path(version)}/poster"'
    console = f"/v/hubin/manage/rules/{version.document_id}/versions/{version.number}"
    assert link in client.get(vote_path(version)).text
    login_as(client, committee)
    assert link in client.get(console).text
    rules.freeze_roll_if_due(version, rf.during(version))
    rules.close_vote(committee, version, rf.after(version))
    db.session.commit()
    assert link not in client.get(console).text
    assert link not in client.get(vote_path(version)).text


@pytest.mark.parametrize("stage", ["draft", "consultation", "closed"])
def test_no_vote_poster_before_announcement_or_after_close(client, village, committee, stage):
    if stage == "draft":
        version = rf.draft(village, committee)
    elif stage == "consultation":
        version = rf.in_consultation(village, committee)
    else:
        version = rf.voting(village, committee)
        rules.close_vote(committee, version, rf.after(version))
        db.session.commit()
    assert client.get(vote_path(version) + "/poster").status_code == 404


def test_no_vote_poster_of_another_village(client, village, committee):
    other = VillageFactory(slug="donggang")
    version = rf.announced(other)
    path = f"/rules/{version.document_id}/versions/{version.number}/poster"
    assert client.get("/v/hubin" + path).status_code == 404
    assert client.get("/v/donggang" + path).status_code == 200
    assert (
        client.get(f"/v/donggang/rules/{version.document_id}/versions/9/poster").status_code == 404
    )
