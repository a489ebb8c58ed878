"""公示 pages and actions: plain forms (post/redirect/get) and htmx swaps, who may do
what, names kept from everyone but the committee and supervisors, and GETs that write
nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.actions import unit_of_work
from portal.audit.models import ActionLog
from portal.publicity import services
from portal.publicity.models import Objection, Publicity
from tests.conftest import htmx_headers, login_as
from tests.factories import ResidentFactory, UserFactory, count
from tests.publicity.conftest import START


def show_url(period):
    return f"/v/hubin/publicity/{period.id}"


def manage_url(period):
    return f"/v/hubin/manage/publicity/{period.id}"


def answer_url(objection):
    return f"/v/hubin/manage/publicity/objections/{objection.id}/answer"


def writes() -> tuple[int, int, int]:
    return count(Publicity), count(Objection), count(ActionLog)


@pytest.fixture
def objection(period, objector, at):
    at(START + timedelta(hours=1))
    with unit_of_work():
        made = services.object_online(objector, period, "照片里的人不是他家的。")
    return made


def test_the_period_page_says_the_phase_in_words_and_writes_nothing(
    client, period, objector, neighbour, objection, at
):
    login_as(client, neighbour)
    before = writes()
    at(START + timedelta(hours=2))
    page = client.get(show_url(period)).get_data(as_text=True)
    assert "公示期：" in page and '还有 <span class="nowrap">5 天</span>' in page
    assert "已收到异议" in page and "张三丰" not in page and objector.phone not in page
    assert 'name="reason"' in page
    at(START - timedelta(days=1))
    assert "尚未开始" in client.get(show_url(period)).get_data(as_text=True)
    at(period.ends_at - timedelta(minutes=1))
    assert "今天结束" in client.get(show_url(period)).get_data(as_text=True)
    at(period.ends_at)
    ended = client.get(show_url(period))
    assert "公示已结束" in ended.get_data(as_text=True)
    assert 'name="reason"' not in ended.get_data(as_text=True)
    assert ended.headers["Cache-Control"] == "no-store"
    assert writes() == before
    assert client.get("/v/hubin/publicity/999").status_code == 404


def test_a_visitor_is_sent_to_log_in(client, period):
    assert client.get(show_url(period)).status_code == 302
    response = client.post(f"{show_url(period)}/objections", data={"reason": "理由"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert count(Objection) == 0


def test_a_villager_objects_with_a_plain_form_and_is_sent_back(client, period, objector, at):
    login_as(client, objector)
    at(START + timedelta(hours=1))
    response = client.post(
        f"{show_url(period)}/objections",
        data={"reason": "他家没有占道。", "next": "/v/hubin/"},
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/v/hubin/")
    assert count(Objection) == 1
    page = client.get(show_url(period)).get_data(as_text=True)
    assert "您的异议已提交" in page and "他家没有占道。" in page and 'name="reason"' not in page
    again = client.post(
        f"{show_url(period)}/objections", data={"reason": "再来", "next": "//evil.example"}
    )
    assert again.status_code == 409 and "已经对这次公示提出过异议" in again.get_data(as_text=True)
    assert count(Objection) == 1


def test_an_unsafe_next_goes_back_to_the_period(client, period, objector, at):
    login_as(client, objector)
    at(START)
    response = client.post(
        f"{show_url(period)}/objections",
        data={"reason": "理由", "next": "//evil.example/x"},
    )
    assert response.headers["Location"].endswith(show_url(period))


def test_a_villager_objects_with_htmx_and_the_form_swaps_in_place(client, period, objector, at):
    login_as(client, objector)
    at(START)
    target = f"objection-form-{period.id}"
    response = client.post(
        f"{show_url(period)}/objections", data={"reason": "理由"}, headers=htmx_headers(target)
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert f'id="{target}"' in body and "您的异议已提交，村委会将书面答复" in body
    assert count(Objection) == 1


@pytest.mark.parametrize(
    ("reason", "words"), [("", "请写下异议的理由"), ("字" * 1001, "最多 1000 个字")]
)
@pytest.mark.parametrize("htmx", [False, True])
def test_bad_reasons_are_422_and_nothing_written(client, period, objector, at, reason, words, htmx):
    login_as(client, objector)
    at(START)
    headers = htmx_headers(f"objection-form-{period.id}") if htmx else {}
    response = client.post(
        f"{show_url(period)}/objections", data={"reason": reason}, headers=headers
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and words in body
    assert ("<html" in body) is not htmx
    assert count(Objection) == 0 and count(ActionLog, ActionLog.action == "publicity.object") == 0


def test_only_a_verified_villager_objects_and_only_while_open(
    client, period, village, objector, at
):
    pending = UserFactory(village=village, resident=ResidentFactory(household__village=village))
    login_as(client, pending)
    at(START)
    page = client.get(show_url(period)).get_data(as_text=True)
    assert "等村委会核实" in page and 'name="reason"' not in page
    refused = client.post(f"{show_url(period)}/objections", data={"reason": "理由"})
    assert refused.status_code == 403 and "等村委会核实" in refused.get_data(as_text=True)
    login_as(client, objector)
    at(period.ends_at)
    late = client.post(
        f"{show_url(period)}/objections",
        data={"reason": "理由"},
        headers=htmx_headers(f"objection-form-{period.id}"),
    )
    assert late.status_code == 409 and "已经结束" in late.get_data(as_text=True)
    assert count(Objection) == 0


def test_the_console_page_names_objectors_for_committee_and_supervisors_only(
    client, period, objection, committee, supervisor, neighbour
):
    before = writes()
    login_as(client, committee)
    page = client.get(manage_url(period))
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "张三丰" in text and "照片里的人" in text
    assert f'name="o{objection.id}-answer"' in text and "录入纸质异议" in text
    assert page.headers["X-Robots-Tag"].startswith("noindex")
    found = client.get(manage_url(period) + "?q=李").get_data(as_text=True)
    assert f'value="{neighbour.resident_id}"' in found
    login_as(client, supervisor)
    read = client.get(manage_url(period)).get_data(as_text=True)
    assert "张三丰" in read and f'name="o{objection.id}-answer"' not in read
    assert "录入纸质异议" not in read
    login_as(client, neighbour)
    assert client.get(manage_url(period)).status_code == 403
    assert writes() == before


def test_a_clerk_enters_a_paper_objection_plain_and_with_htmx(
    client, period, committee, objector, neighbour, at
):
    login_as(client, committee)
    at(START)
    plain = client.post(
        f"{manage_url(period)}/objections",
        data={"resident_id": neighbour.resident_id, "reason": "纸质异议书"},
    )
    assert plain.status_code == 303 and plain.headers["Location"].endswith(manage_url(period))
    assert "已录入李四的纸质异议" in client.get(manage_url(period)).get_data(as_text=True)
    swapped = client.post(
        f"{manage_url(period)}/objections",
        data={"resident_id": objector.resident_id, "reason": "纸质"},
        headers=htmx_headers("paper-objection"),
    )
    body = swapped.get_data(as_text=True)
    assert swapped.status_code == 200 and "<html" not in body and "已录入张三丰的纸质异议" in body
    assert "objections-changed" in swapped.headers["HX-Trigger"]
    twice = client.post(
        f"{manage_url(period)}/objections",
        data={"resident_id": objector.resident_id, "reason": "纸质"},
        headers=htmx_headers("paper-objection"),
    )
    assert twice.status_code == 409 and "只能提一次" in twice.get_data(as_text=True)
    assert count(Objection) == 2
    assert count(ActionLog, ActionLog.action == "publicity.object_paper") == 2


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"reason": "理由"}, "请选择本村花名册上的村民"),
        ({"resident_id": "abc", "reason": "理由"}, "提出异议的村民"),
        ({"resident_id": "1", "reason": ""}, "请写下异议的理由"),
    ],
)
def test_bad_paper_entries_are_422(client, period, committee, at, data, words):
    login_as(client, committee)
    at(START)
    response = client.post(f"{manage_url(period)}/objections", data=data)
    assert response.status_code == 422 and words in response.get_data(as_text=True)
    assert count(Objection) == 0


def test_a_supervisor_may_not_enter_or_answer(client, period, objection, supervisor, objector):
    login_as(client, supervisor)
    paper = client.post(
        f"{manage_url(period)}/objections",
        data={"resident_id": objector.resident_id, "reason": "理由"},
    )
    assert paper.status_code == 403 and "只有本村村委会成员" in paper.get_data(as_text=True)
    answered = client.post(answer_url(objection), data={f"o{objection.id}-answer": "答复"})
    assert answered.status_code == 403 and "答复由村委会作出" in answered.get_data(as_text=True)
    assert count(ActionLog, ActionLog.action == "publicity.answer") == 0


def test_the_committee_answers_in_place_with_htmx(client, period, objection, committee):
    login_as(client, committee)
    queue = client.get("/v/hubin/manage/publicity/objections").get_data(as_text=True)
    assert "张三丰" in queue and "待答复 1 条" in queue
    response = client.post(
        answer_url(objection),
        data={f"o{objection.id}-answer": "已到现场核实。"},
        headers=htmx_headers(f"objection-{objection.id}"),
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert "已到现场核实。" in body and "objections-changed" in response.headers["HX-Trigger"]
    twice = client.post(
        answer_url(objection),
        data={f"o{objection.id}-answer": "再答"},
        headers=htmx_headers(f"objection-{objection.id}"),
    )
    assert twice.status_code == 409 and "已经答复过了" in twice.get_data(as_text=True)
    assert "<html" not in twice.get_data(as_text=True)
    assert count(ActionLog, ActionLog.action == "publicity.answer") == 1


def test_the_committee_answers_with_a_plain_form(client, period, objection, committee):
    login_as(client, committee)
    bad = client.post(answer_url(objection), data={f"o{objection.id}-answer": ""})
    assert bad.status_code == 422 and "请写下答复" in bad.get_data(as_text=True)
    response = client.post(
        answer_url(objection),
        data={f"o{objection.id}-answer": "已核实。", "next": manage_url(period)},
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(manage_url(period))
    assert services.unanswered_count(period.village) == 0
    assert client.post(answer_url(objection) + "x").status_code == 404
    assert client.post("/v/hubin/manage/publicity/objections/999/answer").status_code == 404


def test_the_console_tile_shows_only_once_the_village_has_a_period(client, village, committee, at):
    login_as(client, committee)
    assert "待答复的公示异议" not in client.get("/v/hubin/manage/").get_data(as_text=True)
    at(START)
    with unit_of_work():
        services.open_period(committee, village, "test_subject", 1, 5)
    home = client.get("/v/hubin/manage/").get_data(as_text=True)
    assert "待答复的公示异议" in home and "/manage/publicity/objections" in home


def test_each_page_gives_its_regions_to_htmx(client, period, objection, committee, supervisor):
    login_as(client, committee)
    region = client.get(
        show_url(period), headers=htmx_headers(f"objection-form-{period.id}")
    ).get_data(as_text=True)
    assert "<html" not in region and f'id="objection-form-{period.id}"' in region
    listed = client.get(manage_url(period), headers=htmx_headers("objections"))
    assert "<html" not in listed.get_data(as_text=True)
    assert 'id="objections"' in listed.get_data(as_text=True)
    assert "HX-Request" in listed.headers["Vary"]
    login_as(client, supervisor)
    queue = client.get("/v/hubin/manage/publicity/objections").get_data(as_text=True)
    assert "张三丰" in queue and f'name="o{objection.id}-answer"' not in queue
    counter = client.get(
        "/v/hubin/manage/publicity/objections", headers=htmx_headers("unanswered-objections")
    ).get_data(as_text=True)
    assert "<html" not in counter and "待答复 1 条" in counter


def test_visitors_are_kept_out_of_the_console(client, period, objection):
    for url in (manage_url(period), "/v/hubin/manage/publicity/objections"):
        assert client.get(url).status_code == 302
    response = client.post(answer_url(objection), data={f"o{objection.id}-answer": "答复"})
    assert response.status_code == 302
    assert count(ActionLog, ActionLog.action == "publicity.answer") == 0


def test_a_refused_paper_entry_keeps_the_chosen_resident(client, period, committee, neighbour, at):
    login_as(client, committee)
    at(START)
    response = client.post(
        f"{manage_url(period)}/objections",
        data={"resident_id": neighbour.resident_id, "reason": ""},
        headers=htmx_headers("paper-objection"),
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in body
    assert f'value="{neighbour.resident_id}" checked> 李四' in body
    assert count(Objection) == 0
