"""One fact, one form: an article is numbered 第一条 on the villagers' pages, in the
console and in search; a version's state wears one tag (表决中 red everywhere); an
adoption has one date wherever it is shown."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.rules.labels import article_label, cn_number
from portal.rules.models import RuleVersion, VersionState, VoteResult
from tests.conftest import login_as
from tests.rules import factories as rf
from tests.text import unwrapped


def test_chinese_article_numbers(app):
    assert [cn_number(n) for n in (1, 3, 10, 12, 20, 105, 110)] == [
        "一",
        "三",
        "十",
        "十二",
        "二十",
        "一百零五",
        "一百一十",
    ]
    with app.app_context(), app.test_request_context():
        assert article_label(3) == "第三条"
    with app.app_context(), app.test_request_context(headers={"Cookie": "lang=en"}):
        assert article_label(3) == "Article 3"


def test_an_article_and_a_vote_read_the_same_in_public_in_the_console_and_in_search(
    client, village, clerk, at
):
    version = rf.voting(village, clerk)
    at(rf.during(version))
    base = f"/v/hubin/rules/{version.document_id}"
    console = f"/v/hubin/manage/rules/{version.document_id}"
    login_as(client, clerk)
    pages = {
        "version page": client.get(f"{base}/versions/1").text,
        "console version": client.get(f"{console}/versions/1").text,
        "search": client.get("/v/hubin/search?q=垃圾").text,
    }
    for name, page in pages.items():
        page = unwrapped(page)
        assert "第一条" in page, name
        assert not re.search(r"第 ?1 ?条", page), name
    tags = {
        "village home": client.get("/v/hubin/").text,
        "version page": pages["version page"],
        "console index": client.get("/v/hubin/manage/rules").text,
        "console document": client.get(console).text,
        "console version": pages["console version"],
        "search": client.get("/v/hubin/search?q=垃圾").text,
    }
    for name, page in tags.items():
        found = re.findall(r'<span class="([^"]*)">表决中</span>', page)
        assert found, name
        assert set(found) == {"state-tag state-voting"}, (name, found)


@pytest.mark.demo
def test_the_demo_adopts_at_the_moment_its_result_is_fixed(runner, client):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    adopted = db.session.scalar(
        sa.select(RuleVersion).where(RuleVersion.state == VersionState.ADOPTED)
    )
    result = db.session.scalar(sa.select(VoteResult).where(VoteResult.version_id == adopted.id))
    assert adopted.adopted_at == result.closed_at
    index = unwrapped(client.get("/v/hubin/rules").text)
    adopted_on = re.search(r"<dt>通过日期</dt>\s*<dd>([^<]+)</dd>", index).group(1)
    result_on = re.search(r"：通过（([^）]+)）", index)
    if result_on:  # the result is still among the recent ones
        assert result_on.group(1) == adopted_on
    document = unwrapped(client.get(f"/v/hubin/rules/{adopted.document_id}").text)
    assert f"{adopted_on} 经村民会议表决通过" in document
