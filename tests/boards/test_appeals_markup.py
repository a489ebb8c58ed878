"""The appeal pages and their htmx partials are valid HTML (the Nu checker, as in
tests/test_markup.py), in Chinese and in English, for the household, the committee and
the town."""

from __future__ import annotations

import re

import pytest

from portal.actions import unit_of_work
from portal.auth.models import Role
from portal.boards import appeals
from tests.boards.test_appeals import black_entry
from tests.conftest import htmx_headers, login_as
from tests.factories import official
from tests.test_markup import PARTIAL, nu_errors

CHINESE = re.compile(r"[\u4e00-\u9fff]")
# What the pages show as the people and the village wrote it, and the language switch.
DATA = (
    "在村道旁长期堆放柴草，影响通行。",
    "柴草不是我家的。",
    "不是我家堆的。",
    "确系这户堆放。",
    "请镇街复核。",
    "已经全部搬走。",
    "乱堆乱放",
    "环境卫生",
    "湖滨村",
    "欧阳娜娜",
    "欧阳建国",
    "欧阳",
    "中文",
)


@pytest.fixture
def state(seeded, committee, second_member, household, subject, subject_user, at):
    listed = black_entry(seeded, committee, second_member, household, subject, at, publish=True)
    with unit_of_work():
        first = appeals.appeal(subject_user, listed, "柴草不是我家的。", "appeal")
    with unit_of_work():
        appeals.dismiss(committee, first, "确系这户堆放。")
    with unit_of_work():
        appeals.appeal(subject_user, listed, "已经全部搬走。", "withdrawal")
    other = black_entry(seeded, committee, second_member, household, subject, at, publish=True)
    with unit_of_work():
        sent = appeals.appeal(subject_user, other, "不是我家堆的。", "appeal")
    with unit_of_work():
        appeals.dismiss(committee, sent, "确系这户堆放。")
    with unit_of_work():
        appeals.ask_town(subject_user, sent, "请镇街复核。")
    return listed, other, sent


def test_the_appeal_pages_are_valid_html(app, client, state, subject_user, committee, tmp_path):
    listed, other, sent = state
    town = listed.village.town
    town_official = official(Role.TOWN_OFFICIAL, town=town)
    pending = listed.id
    pages = [
        (subject_user, f"/v/hubin/boards/{pending}", None),
        (subject_user, f"/v/hubin/boards/{pending}/appeal", None),
        (subject_user, f"/v/hubin/boards/{pending}/appeal", htmx_headers("appeal-box")),
        (committee, "/v/hubin/manage/boards/appeals", None),
        (committee, "/v/hubin/manage/boards/appeals", htmx_headers("pending-appeals")),
        (committee, f"/v/hubin/manage/boards/{pending}/appeals", None),
        (committee, f"/v/hubin/manage/boards/{other.id}/appeals", None),
        (town_official, f"/town/{town.slug}/", None),
        (town_official, f"/town/{town.slug}/boards/appeals", None),
    ]
    files = []
    for number, (who, path, headers) in enumerate(pages):
        for lang in ("zh", "en"):
            visitor = app.test_client()
            login_as(visitor, who)
            if lang == "en":
                visitor.set_cookie("lang", "en")
            response = visitor.get(path, headers=headers)
            assert response.status_code == 200, (path, response.status_code)
            html = response.text if not headers else PARTIAL.format(response.text)
            if lang == "en":
                text = re.sub(r"<[^>]+>", " ", html)
                for data in (*DATA, town.name):
                    text = text.replace(data, "")
                leftover = CHINESE.findall(text)
                assert not leftover, (path, "".join(leftover)[:80])
            file = tmp_path / f"{number}-{lang}.html"
            file.write_text(html, encoding="utf-8")
            files.append(file)
    errors = nu_errors(files)
    assert errors == [], "\n".join(errors)
