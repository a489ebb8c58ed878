"""Roster import: CSV (UTF-8, with BOM, GB18030) and XLSX; every bad row reported by line
number; nothing written unless every row is good; the job page and its progress."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from portal import clock
from portal.audit.models import ActionLog
from portal.extensions import db
from portal.villages import roster
from portal.villages.models import (
    Gender,
    Grid,
    Household,
    Resident,
    RosterImport,
    RosterImportStatus,
)
from tests.conftest import htmx_headers
from tests.factories import GridFactory, HouseholdFactory, ResidentFactory
from tests.manage.conftest import as_user, count, log_actions, roster_size

HEADER = ["门牌号", "网格", "姓名", "出生年份", "性别"]
GOOD_ROWS = [
    ["1号", "东片", "张伟", "1965", "男"],
    ["1号", "东片", "李秀英", "1968", "女"],
    ["1号", "东片", "张小红", "2010", "女"],
    ["2号", "西片", "王强", "1972", "男"],
    ["3号", "", "赵敏", "1990", "女"],
]
URL = "/v/hubin/manage/roster/import"


def csv_bytes(rows, header=HEADER, encoding="utf-8", bom=False, newline="\r\n") -> bytes:
    text = newline.join(",".join(r) for r in [header, *rows]) + newline
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows, header=HEADER, title: str | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, data: bytes, filename: str = "花名册.csv"):
    return client.post(
        URL,
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def last_job() -> RosterImport:
    db.session.rollback()
    return db.session.scalars(sa.select(RosterImport).order_by(RosterImport.id.desc())).first()


def residents_by_name() -> dict[str, Resident]:
    db.session.rollback()
    return {r.name: r for r in db.session.scalars(sa.select(Resident))}


# --- the whole path, through the upload form ----------------------------------------


def test_good_csv_imports_households_residents_and_grids(client, village, committee):
    as_user(client, committee)
    response = upload(client, csv_bytes(GOOD_ROWS))
    assert response.status_code == 303
    job = last_job()
    assert response.headers["Location"].endswith(f"/v/hubin/manage/roster/imports/{job.id}")
    assert job.status == RosterImportStatus.DONE and job.percent == 100
    assert (job.total_rows, job.checked_rows, job.written_rows) == (5, 5, 5)
    assert job.file_format == "csv" and job.filename == "花名册.csv"
    assert roster_size() == (3, 5)
    people = residents_by_name()
    zhang = people["张伟"]
    assert (zhang.birth_year, zhang.gender, zhang.village_id) == (1965, Gender.MALE, village.id)
    assert zhang.household.door_number == "1号" and zhang.household.grid.name == "东片"
    assert people["李秀英"].household_id == zhang.household_id
    assert people["赵敏"].household.grid is None
    assert sorted(g.name for g in db.session.scalars(sa.select(Grid))) == ["东片", "西片"]
    assert job.result["residents_created"] == 5 and job.result["households_created"] == 3
    assert job.result["grids_created"] == 2

    [log] = db.session.scalars(sa.select(ActionLog)).all()
    assert (log.action, log.actor_id, log.role, log.village_id, log.object_id) == (
        "roster.import",
        committee.id,
        "committee",
        village.id,
        job.id,
    )
    assert log.summary["after"]["residents_created"] == 5
    assert "duplicate_lines" not in log.summary["after"]  # counts only, no names
    assert "张伟" not in json.dumps(log.summary, ensure_ascii=False)

    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "导入完成" in page.text and 'value="100"' in page.text
    assert "http-equiv" not in page.text and "every 1s" not in page.text


def test_good_xlsx_imports(client, committee):
    rows = [["1号", "东片", "张伟", 1965, "男"], [2, "西片", "王强", 1972.0, "女"]]
    as_user(client, committee)
    response = upload(client, xlsx_bytes(rows, title="湖滨村花名册"), "roster.xlsx")
    assert response.status_code == 303
    job = last_job()
    assert job.status == RosterImportStatus.DONE, job.errors
    assert job.file_format == "xlsx"
    assert roster_size() == (2, 2)
    assert residents_by_name()["王强"].household.door_number == "2"


def test_gb18030_csv_imports(client, committee):
    as_user(client, committee)
    data = csv_bytes(GOOD_ROWS + [["4号", "北片", "欧阳䶮", "1950", "男"]], encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert upload(client, data).status_code == 303
    assert last_job().status == RosterImportStatus.DONE
    assert "欧阳䶮" in residents_by_name()


def test_utf8_csv_with_bom_and_bare_newlines_imports(client, committee):
    as_user(client, committee)
    assert upload(client, csv_bytes(GOOD_ROWS, bom=True, newline="\n")).status_code == 303
    assert last_job().status == RosterImportStatus.DONE
    assert roster_size() == (3, 5)


def test_file_type_is_judged_by_content_not_by_name(client, committee):
    as_user(client, committee)
    assert upload(client, xlsx_bytes(GOOD_ROWS), "roster.csv").status_code == 303
    assert last_job().file_format == "xlsx" and last_job().status == RosterImportStatus.DONE


def test_existing_household_gets_new_residents_and_duplicates_are_skipped(
    client, village, committee
):
    east = GridFactory(village=village, name="东片")
    home = HouseholdFactory(village=village, door_number="1号", grid=east)
    ResidentFactory(household=home, name="张伟", birth_year=1965, gender=Gender.MALE)
    as_user(client, committee)
    rows = [*GOOD_ROWS, ["2号", "西片", "王强", "1972", "男"]]  # line 7 repeats line 5
    assert upload(client, csv_bytes(rows)).status_code == 303
    job = last_job()
    assert job.status == RosterImportStatus.DONE
    assert job.result["duplicates"] == 2
    assert job.result["duplicate_lines"] == [2, 7]
    assert job.result["households_created"] == 2 and job.result["households_extended"] == 1
    assert job.result["grids_created"] == 1
    assert roster_size() == (3, 5)
    assert count(Grid) == 2
    page = client.get(f"/v/hubin/manage/roster/imports/{job.id}").text
    assert "跳过的重复行：第 2、7 行" in page

    # Importing the same file again adds nobody.
    assert upload(client, csv_bytes(rows)).status_code == 303
    assert last_job().result["residents_created"] == 0
    assert roster_size() == (3, 5)


def test_household_moves_to_the_grid_the_file_names(client, village, committee):
    home = HouseholdFactory(
        village=village, door_number="1号", grid=GridFactory(village=village, name="旧片")
    )
    ResidentFactory(household=home, name="张伟", birth_year=1965)
    as_user(client, committee)
    upload(client, csv_bytes([["1号", "新片", "张丽", "1999", "女"]]))
    job = last_job()
    assert job.result["households_regridded"] == 1
    db.session.rollback()
    assert db.session.get(Household, home.id).grid.name == "新片"


def test_another_villages_roster_is_untouched(client, other_village, committee):
    foreign = HouseholdFactory(village=other_village, door_number="1号")
    ResidentFactory(household=foreign, name="张伟", birth_year=1965)
    as_user(client, committee)
    upload(client, csv_bytes(GOOD_ROWS))
    job = last_job()
    assert job.result["duplicates"] == 0 and job.result["households_created"] == 3
    db.session.rollback()
    assert len(db.session.get(Household, foreign.id).residents) == 1


BAD_ROWS = [
    # line 2 is good
    ["1号", "东片", "张伟", "1965", "男"],
    ["1号", "东片", "", "1968", "女"],  # 3: no name
    ["2号", "西片", "王强", "一九七二", "男"],  # 4: not a number
    ["2号", "西片", "王刚", "1850", "男"],  # 5: out of range
    ["3号", "", "赵敏", "1990", "F"],  # 6: gender
    ["号" * 41, "", "钱七", "1990", "女"],  # 7: door too long
    ["", "东片", "孙八", "1990", "男"],  # 8: no door
    ["4号", "", "名" * 41, "1990", "男"],  # 9: name too long
    ["1号", "西片", "张三", "1970", "男"],  # 10: grid conflicts with line 2
    ["5号", "", "周九", "", ""],  # 11: no birth year, no gender
    ["6号", "", "吴十", "3000", "男"],  # 12: in the future
    ["7号", "网" * 61, "郑一", "1980", "女"],  # 13: grid too long
]
EXPECTED = [
    (3, "缺少姓名"),
    (4, "出生年份“一九七二”不是数字"),
    (5, "出生年份 1850 不在 1900 到"),
    (6, "性别“F”不对，应填“男”或“女”"),
    (7, "门牌号太长（最多 40 个字）"),
    (8, "缺少门牌号"),
    (9, "姓名太长（最多 40 个字）"),
    (10, "门牌号“1号”在第 2 行填的网格是“东片”，这里是“西片”"),
    (11, "缺少出生年份"),
    (11, "缺少性别"),
    (12, "出生年份 3000 不在 1900 到"),
    (13, "网格名称太长（最多 60 个字）"),
]


def test_malformed_rows_are_each_reported_and_nothing_is_imported(app, client, village, committee):
    HouseholdFactory(village=village, door_number="99号")
    before = roster_size()
    as_user(client, committee)
    response = upload(client, csv_bytes(BAD_ROWS))
    assert response.status_code == 303
    job = last_job()
    assert job.status == RosterImportStatus.REJECTED
    with app.test_request_context():
        reported = [(e["line"], roster.describe(e["code"], e["params"])) for e in job.errors]
    assert len(reported) == len(EXPECTED) == job.error_count
    for (line, reason), (want_line, want_text) in zip(reported, EXPECTED, strict=True):
        assert line == want_line and want_text in reason, (line, reason)
    assert roster_size() == before
    assert count(Grid) == 0
    assert log_actions() == []

    page = client.get(response.headers["Location"]).text
    assert "文件有错，没有导入" in page
    assert "共有 12 处错误" in page
    for line, text in EXPECTED:
        assert f"第 {line} 行" in page and text in page


def test_bad_rows_in_xlsx_report_the_sheet_row_number(client, committee):
    rows = [
        ["1号", "东片", "张伟", 1965, "男"],
        [None, None, None, None, None],
        ["2号", "", "李四", "abc", "男"],
    ]
    as_user(client, committee)
    upload(client, xlsx_bytes(rows, title="花名册"), "r.xlsx")
    job = last_job()
    assert job.status == RosterImportStatus.REJECTED
    # Row 1 title, row 2 header, row 3 good, row 4 blank, row 5 bad.
    assert [(e["line"], e["code"]) for e in job.errors] == [(5, "birth_year_not_number")]
    assert roster_size() == (0, 0)


def test_missing_header_columns_are_reported(app, client, committee):
    as_user(client, committee)
    upload(client, csv_bytes([["1号", "张伟", "1965"]], header=["门牌号", "姓名", "年龄"]))
    job = last_job()
    assert job.status == RosterImportStatus.REJECTED
    [entry] = job.errors
    assert entry["line"] == 1
    with app.test_request_context():
        message = roster.describe(entry["code"], entry["params"])
    assert "缺少表头列：网格、出生年份、性别" in message
    assert roster_size() == (0, 0)


def test_a_file_with_only_a_header_is_reported(client, committee):
    as_user(client, committee)
    upload(client, csv_bytes([]))
    job = last_job()
    assert job.status == RosterImportStatus.REJECTED
    assert job.errors[0]["code"] == "no_rows"
    assert "文件里没有数据行" in client.get(f"/v/hubin/manage/roster/imports/{job.id}").text


@pytest.mark.parametrize(
    "data, filename, message",
    [
        (b"", "roster.csv", "文件是空的"),
        (b"  \r\n ", "roster.csv", "文件是空的"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "roster.csv", "文件类型不对"),
        (b"%PDF-1.4\n1 0 obj\n", "roster.xlsx", "文件类型不对"),
        (b"<!doctype html><html><body>hi</body></html>", "roster.csv", "文件类型不对"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "roster.xls", "旧版 Excel"),
        (b"\xff\xfe\xff\xfe\x00\xd8", "roster.csv", "文字编码"),
        (b"\x80\x81\xff\xfe,abc\n", "roster.csv", "文字编码"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "setup.csv", "文件类型不对"),
    ],
)
def test_unreadable_files_are_refused_at_once(client, committee, data, filename, message):
    as_user(client, committee)
    response = upload(client, data, filename)
    assert response.status_code == 422
    assert message in response.text
    assert count(RosterImport) == 0
    assert roster_size() == (0, 0)


def test_a_zip_that_is_not_a_workbook_is_refused(client, committee):
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    as_user(client, committee)
    response = upload(client, out.getvalue(), "roster.xlsx")
    assert response.status_code == 422 and "文件类型不对" in response.text


def test_a_broken_workbook_is_reported(client, committee):
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "not xml at all")
    as_user(client, committee)
    assert upload(client, out.getvalue(), "roster.xlsx").status_code == 303
    job = last_job()
    assert job.status == RosterImportStatus.REJECTED
    assert job.errors[0]["code"] == "xlsx_unreadable"


def test_a_file_over_five_megabytes_is_refused(client, committee):
    data = csv_bytes(GOOD_ROWS) + b"#" * (5 * 1024 * 1024)
    as_user(client, committee)
    response = upload(client, data)
    assert response.status_code == 422
    assert "文件超过 5 MB" in response.text
    assert count(RosterImport) == 0


def test_no_file_is_answered_clearly(client, committee):
    as_user(client, committee)
    response = client.post(URL, data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "请选择要上传的文件" in response.text


def test_a_5000_row_file_imports_completely(client, village, committee):
    rows = [
        [
            f"{n // 4 + 1}号",
            f"第{n // 400 + 1}网格",
            f"村民{n:04d}",
            str(1930 + n % 90),
            "男女"[n % 2],
        ]
        for n in range(5000)
    ]
    as_user(client, committee)
    response = upload(client, csv_bytes(rows))
    assert response.status_code == 303
    job = last_job()
    assert job.status == RosterImportStatus.DONE, job.errors
    assert (job.total_rows, job.checked_rows, job.written_rows, job.percent) == (
        5000,
        5000,
        5000,
        100,
    )
    assert roster_size() == (1250, 5000)
    assert count(Grid) == 13
    page = client.get(response.headers["Location"]).text
    assert 'value="100"' in page and "新增村民" in page
    assert log_actions() == ["roster.import"]


def test_one_bad_row_in_5000_stops_the_whole_file(client, committee):
    rows = [[f"{n // 4 + 1}号", "", f"村民{n:04d}", "1970", "男"] for n in range(5000)]
    rows[4321][3] = "197O"
    as_user(client, committee)
    upload(client, csv_bytes(rows))
    job = last_job()
    assert job.status == RosterImportStatus.REJECTED
    assert [(e["line"], e["code"]) for e in job.errors] == [(4323, "birth_year_not_number")]
    assert roster_size() == (0, 0)


def test_an_error_while_writing_leaves_nothing_behind(client, committee, monkeypatch):
    real = roster.apply_roster

    def half_then_fail(village, rows, progress=None):
        real(village, rows[:2], progress)
        raise RuntimeError("disk full")

    monkeypatch.setattr(roster, "apply_roster", half_then_fail)
    as_user(client, committee)
    upload(client, csv_bytes(GOOD_ROWS))
    job = last_job()
    assert job.status == RosterImportStatus.FAILED
    assert roster_size() == (0, 0)
    assert count(Grid) == 0
    assert log_actions() == []
    page = client.get(f"/v/hubin/manage/roster/imports/{job.id}").text
    assert "导入时出了错，没有导入任何数据" in page


# --- the job page ---------------------------------------------------------------------


@pytest.fixture
def running_job(village, committee):
    job = RosterImport(
        village_id=village.id,
        created_by_id=committee.id,
        filename="big.csv",
        file_format="csv",
        status=RosterImportStatus.CHECKING,
        total_rows=4000,
        checked_rows=1000,
    )
    db.session.add(job)
    db.session.commit()
    return job


def test_running_job_page_refreshes_with_and_without_javascript(client, committee, running_job):
    as_user(client, committee)
    page = client.get(f"/v/hubin/manage/roster/imports/{running_job.id}")
    assert page.status_code == 200
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page.text
    assert 'hx-trigger="every 1s"' in page.text
    assert '<progress id="import-progress" max="100" value="12">' in page.text
    assert "正在检查每一行" in page.text and "已检查 1000 行" in page.text


def test_running_job_poll_returns_only_the_status(client, committee, running_job):
    as_user(client, committee)
    response = client.get(
        f"/v/hubin/manage/roster/imports/{running_job.id}", headers=htmx_headers("import-status")
    )
    assert response.status_code == 200
    assert response.text.strip().startswith('<section id="import-status"')
    assert "<html" not in response.text and 'hx-trigger="every 1s"' in response.text


def test_finished_job_poll_stops_with_286(client, committee, running_job):
    running_job.status = RosterImportStatus.DONE
    running_job.result = {
        "rows": 1,
        "residents_created": 1,
        "households_created": 1,
        "households_extended": 0,
        "households_regridded": 0,
        "grids_created": 0,
        "duplicates": 0,
        "duplicate_lines": [],
    }
    db.session.commit()
    as_user(client, committee)
    response = client.get(
        f"/v/hubin/manage/roster/imports/{running_job.id}", headers=htmx_headers("import-status")
    )
    assert response.status_code == 286
    assert "导入完成" in response.text and "every 1s" not in response.text
    plain = client.get(f"/v/hubin/manage/roster/imports/{running_job.id}")
    assert plain.status_code == 200 and "http-equiv" not in plain.text


def test_a_job_that_stopped_reporting_shows_as_interrupted(client, committee, running_job):
    """Interrupted is not over: `flask tick` runs the job again, so the page keeps watching."""
    running_job.updated_at = clock.now() - timedelta(hours=1)
    db.session.commit()
    as_user(client, committee)
    response = client.get(
        f"/v/hubin/manage/roster/imports/{running_job.id}", headers=htmx_headers("import-status")
    )
    assert response.status_code == 200 and 'hx-trigger="every 1s"' in response.text
    assert "导入中断" in response.text and "系统会重新开始这份导入" in response.text
    assert 'href="/v/hubin/manage/roster/import"' in response.text
    plain = client.get(f"/v/hubin/manage/roster/imports/{running_job.id}").text
    assert '<meta http-equiv="refresh"' in plain and "刷新进度" in plain


def test_jobs_of_another_village_are_404(client, other_village, committee):
    from portal.extensions import db as database

    job = RosterImport(village_id=other_village.id, filename="x.csv", file_format="csv")
    database.session.add(job)
    database.session.commit()
    as_user(client, committee)
    assert client.get(f"/v/hubin/manage/roster/imports/{job.id}").status_code == 404
    assert client.get("/v/hubin/manage/roster/imports/999999").status_code == 404


def test_import_page_lists_recent_imports(client, committee):
    as_user(client, committee)
    upload(client, csv_bytes(GOOD_ROWS), "第一批.csv")
    upload(client, csv_bytes([["9号", "", "", "1970", "男"]]), "第二批.csv")
    page = client.get(URL).text
    assert "第一批.csv" in page and "第二批.csv" in page
    assert "已导入 5 人" in page and "有错，未导入" in page
    assert page.index("第二批.csv") < page.index("第一批.csv")


def test_upload_form_shows_the_expected_columns(client, committee):
    as_user(client, committee)
    page = client.get(URL).text
    for column in HEADER:
        assert f"<code>{column}</code>" in page
    assert 'enctype="multipart/form-data"' in page


def test_filenames_are_cleaned(app):
    assert roster.clean_filename("../../etc/passwd") == "passwd"
    assert roster.clean_filename("C:\\Users\\me\\花名册.xlsx") == "花名册.xlsx"
    assert roster.clean_filename("a\x00b.csv") == "ab.csv"
    assert roster.clean_filename("") == "roster"


# --- units ----------------------------------------------------------------------------


def test_detect_format():
    assert roster.detect_format(csv_bytes(GOOD_ROWS)) == "csv"
    assert roster.detect_format(csv_bytes(GOOD_ROWS, encoding="gb18030")) == "csv"
    assert roster.detect_format(xlsx_bytes(GOOD_ROWS)) == "xlsx"
    utf16 = "\ufeff" + "\t".join(HEADER) + "\r\n" + "\t".join(GOOD_ROWS[0]) + "\r\n"
    assert roster.detect_format(utf16.encode("utf-16-le")) == "csv"


def test_utf16_tab_separated_text_is_read(app):
    text = "\ufeff" + "\r\n".join("\t".join(r) for r in [HEADER, *GOOD_ROWS]) + "\r\n"
    _line, columns, rows = roster.read_table(text.encode("utf-16-le"), "csv")
    checked = roster.check_rows(rows, columns)
    assert checked.errors == [] and len(checked.rows) == 5


def test_tab_separated_text_with_a_title_row_is_read(app):
    text = "湖滨村花名册\n" + "\n".join("\t".join(r) for r in [HEADER, *GOOD_ROWS])
    line, columns, rows = roster.read_table(text.encode(), "csv")
    assert line == 2 and [n for n, _cells in rows] == [3, 4, 5, 6, 7]
    assert len(roster.check_rows(rows, columns).rows) == 5


def test_columns_in_any_order_and_extra_columns_are_ignored(app):
    header = ["备注", "性别", "姓名", "出生年份", "网格", "门牌号"]
    data = csv_bytes([["", "女", "李四", "1980", "东片", "1号"]], header=header)
    _line, columns, rows = roster.read_table(data, "csv")
    [row] = roster.check_rows(rows, columns).rows
    assert (row.door_number, row.grid, row.name, row.birth_year, row.gender) == (
        "1号",
        "东片",
        "李四",
        1980,
        Gender.FEMALE,
    )


def test_cells_are_trimmed_and_full_width_forms_folded(app):
    data = csv_bytes([[" １号 ", "\u3000东片", " 李四 ", "１９８０", " 女 "]])
    _line, columns, rows = roster.read_table(data, "csv")
    [row] = roster.check_rows(rows, columns).rows
    assert (row.door_number, row.grid, row.name, row.birth_year) == ("1号", "东片", "李四", 1980)


def test_quoted_fields_with_commas(app):
    data = '门牌号,网格,姓名,出生年份,性别\r\n"1号,东",东片,李四,1980,女\r\n'.encode()
    _line, columns, rows = roster.read_table(data, "csv")
    [row] = roster.check_rows(rows, columns).rows
    assert row.door_number == "1号,东"


def test_messages_exist_for_every_code(app):
    with app.test_request_context():
        _describe_every_code()


def _describe_every_code():
    for code in roster.MESSAGES:
        assert roster.describe(
            code,
            {
                "columns": "x",
                "max": 1,
                "min": 1,
                "value": "x",
                "door": "x",
                "grid": "x",
                "other": "x",
                "other_line": 1,
                "year": 1,
            },
        )


def test_a_second_upload_while_one_runs_is_refused_clearly(client, committee, running_job):
    as_user(client, committee)
    jobs_before, roster_before = count(RosterImport), roster_size()
    response = upload(client, csv_bytes(GOOD_ROWS))
    assert response.status_code == 422
    assert "上一份花名册还在导入" in response.text
    assert count(RosterImport) == jobs_before and roster_size() == roster_before


def test_an_interrupted_import_does_not_block_the_next(client, village, committee, running_job):
    running_job.updated_at = clock.now() - timedelta(hours=1)
    db.session.commit()
    as_user(client, committee)
    response = upload(client, csv_bytes(GOOD_ROWS))
    assert response.status_code == 303
    assert last_job().status == RosterImportStatus.DONE
    # The upload took the interrupted job's place: it is over, and no tick will run it.
    set_aside = db.session.get(RosterImport, running_job.id)
    assert set_aside.status == RosterImportStatus.FAILED and set_aside.finished_at is not None
    assert [e["code"] for e in set_aside.errors] == ["interrupted"]
    assert roster.run_waiting_imports(clock.now()) == 0


# --- the birth date 出生日期 -------------------------------------------------------------

DATED_HEADER = [*HEADER, "出生日期"]


def dated_rows(*dates: str, year: str = "1968") -> list[list[str]]:
    return [[f"{n + 1}号", "", f"村民{n}", year, "女", text] for n, text in enumerate(dates)]


def check(data: bytes, file_format: str = "csv") -> roster.CheckedRoster:
    _line, columns, rows = roster.read_table(data, file_format)
    return roster.check_rows(rows, columns)


@pytest.mark.parametrize(
    "text",
    [
        "1968-03-05",
        "1968-3-5",
        "1968/3/5",
        "1968/03/05",
        "1968.3.5",
        "1968年3月5日",
        "1968年03月05日",
        "1968年3月5",
        "１９６８年３月５日",
        "19680305",
        " 1968-03-05 ",
    ],
)
def test_each_way_of_writing_a_birth_date_is_read(app, text):
    [row] = check(csv_bytes(dated_rows(text), header=DATED_HEADER)).rows
    assert (row.birth_date, row.birth_year) == (date(1968, 3, 5), 1968)


def test_a_csv_with_birth_dates_stores_them(client, committee):
    rows = [
        ["1号", "东片", "张伟", "1965", "男", "1965-01-31"],
        ["1号", "东片", "李秀英", "", "女", "1968年3月5日"],  # no year: the date's
        ["2号", "", "王强", "1972", "男", ""],  # no date: the year alone, as before
    ]
    as_user(client, committee)
    assert upload(client, csv_bytes(rows, header=DATED_HEADER)).status_code == 303
    assert last_job().status == RosterImportStatus.DONE, last_job().errors
    people = residents_by_name()
    assert (people["张伟"].birth_year, people["张伟"].birth_date) == (1965, date(1965, 1, 31))
    assert (people["李秀英"].birth_year, people["李秀英"].birth_date) == (1968, date(1968, 3, 5))
    assert (people["王强"].birth_year, people["王强"].birth_date) == (1972, None)


def test_an_excel_date_cell_is_read_as_the_birth_date(client, committee):
    rows = [
        ["1号", "东片", "张伟", None, "男", datetime(1965, 1, 31)],
        ["2号", "西片", "王强", 1972, "女", date(1972, 12, 1)],
        ["3号", "", "赵敏", None, "女", 19900704],  # a number cell, written as digits
    ]
    as_user(client, committee)
    assert upload(client, xlsx_bytes(rows, header=DATED_HEADER), "r.xlsx").status_code == 303
    job = last_job()
    assert job.status == RosterImportStatus.DONE, job.errors
    people = residents_by_name()
    assert people["张伟"].birth_date == date(1965, 1, 31) and people["张伟"].birth_year == 1965
    assert people["王强"].birth_date == date(1972, 12, 1)
    assert people["赵敏"].birth_date == date(1990, 7, 4) and people["赵敏"].birth_year == 1990


@pytest.mark.parametrize("title", ["出生日期", "生日", "出生年月日", "Birth date", "date_of_birth"])
def test_the_birth_date_column_may_be_headed_in_several_ways(app, title):
    header = ["门牌号", "网格", "姓名", "性别", title]  # and no birth-year column at all
    [row] = check(csv_bytes([["1号", "", "李四", "女", "1980-06-01"]], header=header)).rows
    assert (row.birth_year, row.birth_date) == (1980, date(1980, 6, 1))


def test_without_a_birth_date_column_the_birth_year_column_is_still_required(
    app, client, committee
):
    as_user(client, committee)
    upload(
        client, csv_bytes([["1号", "", "李四", "女"]], header=["门牌号", "网格", "姓名", "性别"])
    )
    [entry] = last_job().errors
    assert entry["code"] == "missing_columns"
    with app.test_request_context():
        assert "缺少表头列：出生年份" in roster.describe(entry["code"], entry["params"])


def bad_birth_rows() -> tuple[list[list[str]], list[tuple[int, str, str]]]:
    tomorrow = clock.today_local() + timedelta(days=1)
    rows = [
        ["1号", "", "张伟", "1965", "男", "1965-01-31"],  # 2: good
        ["1号", "", "李秀英", "1967", "女", "1968-03-05"],  # 3: year and date disagree
        ["2号", "", "王强", "", "男", "1968-02-30"],  # 4: no such day
        ["2号", "", "王刚", "", "男", "19681305"],  # 5: no 13th month
        ["3号", "", "赵敏", "", "女", "3/5/1968"],  # 6: month and day order unknown
        ["3号", "", "钱七", "", "女", "去年"],  # 7: not a date
        ["4号", "", "孙八", "", "男", tomorrow.isoformat()],  # 8: in the future
        ["4号", "", "周九", "", "男", "1899-12-31"],  # 9: before the earliest year
        ["5号", "", "吴十", "", "女", ""],  # 10: neither year nor date
        ["5号", "", "郑一", "一九六八", "女", "1968-3-5"],  # 11: the year is still checked
    ]
    expected = [
        (3, "birth_year_date_conflict", "出生年份 1967 和出生日期 1968-03-05 对不上"),
        (4, "birth_date_no_such_day", "出生日期“1968-02-30”不对：日历上没有这一天"),
        (5, "birth_date_no_such_day", "出生日期“19681305”不对"),
        (6, "birth_date_invalid", "出生日期“3/5/1968”看不懂，应写成 1968-03-05"),
        (7, "birth_date_invalid", "出生日期“去年”看不懂"),
        (8, "birth_date_in_future", f"出生日期 {tomorrow.isoformat()} 在今天之后"),
        (9, "birth_date_too_early", "出生日期 1899-12-31 早于 1900 年"),
        (10, "birth_missing", "缺少出生年份和出生日期，至少要填一项"),
        (11, "birth_year_not_number", "出生年份“一九六八”不是数字"),
    ]
    return rows, expected


def test_bad_birth_dates_are_each_reported_and_nothing_is_imported(app, client, village, committee):
    home = HouseholdFactory(village=village, door_number="1号")
    ResidentFactory(household=home, name="张伟", birth_year=1965)  # a date it lacks stays off
    before = roster_size()
    rows, expected = bad_birth_rows()
    as_user(client, committee)
    response = upload(client, csv_bytes(rows, header=DATED_HEADER))
    job = last_job()
    assert job.status == RosterImportStatus.REJECTED
    assert [(e["line"], e["code"]) for e in job.errors] == [(n, code) for n, code, _ in expected]
    with app.test_request_context():
        for entry, (_line, _code, text) in zip(job.errors, expected, strict=True):
            assert text in roster.describe(entry["code"], entry["params"])
    assert roster_size() == before
    assert residents_by_name()["张伟"].birth_date is None
    assert log_actions() == []
    page = client.get(response.headers["Location"]).text
    assert "文件有错，没有导入" in page and "第 8 行" in page and "在今天之后" in page


def test_birth_date_errors_are_in_the_readers_language(app):
    rows, expected = bad_birth_rows()
    checked = check(csv_bytes(rows, header=DATED_HEADER))
    english = {
        "birth_year_date_conflict": "does not match the birth date",
        "birth_date_no_such_day": "that day is not in the calendar",
        "birth_date_invalid": "cannot be read",
        "birth_date_in_future": "is after today",
        "birth_date_too_early": "is before 1900",
        "birth_missing": "No birth year and no birth date",
    }
    assert set(english) <= {entry["code"] for entry in checked.errors}
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        for entry in checked.errors:
            if entry["code"] in english:
                assert english[entry["code"]] in roster.describe(entry["code"], entry["params"])


def test_a_date_on_the_birth_years_first_or_last_day_agrees_with_it(app):
    rows = dated_rows("1968-01-01", "1968-12-31")
    assert [r.birth_date for r in check(csv_bytes(rows, header=DATED_HEADER)).rows] == [
        date(1968, 1, 1),
        date(1968, 12, 31),
    ]
    assert check(csv_bytes(dated_rows("1969-01-01"), header=DATED_HEADER)).errors[0]["code"] == (
        "birth_year_date_conflict"
    )


def test_a_birth_date_of_today_is_taken(app):
    today = clock.today_local()
    rows = dated_rows(today.isoformat(), year=str(today.year))
    [row] = check(csv_bytes(rows, header=DATED_HEADER)).rows
    assert row.birth_date == today


def test_a_resident_matched_again_gets_the_birth_date_they_lacked(client, village, committee):
    home = HouseholdFactory(village=village, door_number="1号")
    undated = ResidentFactory(household=home, name="张伟", birth_year=1965)
    dated = ResidentFactory(
        household=home, name="李秀英", birth_year=1968, birth_date=date(1968, 3, 5)
    )
    rows = [
        ["1号", "", "张伟", "", "男", "1965-01-31"],  # 2: the year comes from the date
        ["1号", "", "李秀英", "1968", "女", "1968-04-05"],  # 3: a different date: kept as is
        ["1号", "", "张伟", "1965", "男", "1965-02-01"],  # 4: twice in the file: the first wins
        ["2号", "", "王强", "1972", "男", "1972-12-01"],  # 5: new
    ]
    as_user(client, committee)
    upload(client, csv_bytes(rows, header=DATED_HEADER))
    job = last_job()
    assert job.status == RosterImportStatus.DONE, job.errors
    result = job.result
    assert (result["residents_created"], result["duplicates"]) == (1, 3)
    assert result["birth_dates_filled"] == 1
    assert result["birth_dates_differing"] == 2
    assert result["birth_date_differing_lines"] == [3, 4]
    db.session.rollback()
    assert db.session.get(Resident, undated.id).birth_date == date(1965, 1, 31)
    assert db.session.get(Resident, dated.id).birth_date == date(1968, 3, 5)
    [log] = db.session.scalars(sa.select(ActionLog)).all()
    assert log.summary["after"]["birth_dates_filled"] == 1
    assert "birth_date_differing_lines" not in log.summary["after"]

    page = client.get(f"/v/hubin/manage/roster/imports/{job.id}").text
    assert "补上出生日期" in page
    assert "出生日期和花名册上已有的不同，没有改动，请核对：第 3、4 行" in page

    # The same file again changes nothing: the dates are there now.
    upload(client, csv_bytes(rows, header=DATED_HEADER))
    again = last_job().result
    assert (again["residents_created"], again["birth_dates_filled"]) == (0, 0)
    assert roster_size() == (2, 3)


def test_no_date_is_filled_in_when_the_row_may_mean_either_of_two_residents(
    client, village, committee
):
    home = HouseholdFactory(village=village, door_number="1号")
    twins = [ResidentFactory(household=home, name="张伟", birth_year=1965) for _ in range(2)]
    as_user(client, committee)
    upload(
        client, csv_bytes([["1号", "", "张伟", "1965", "男", "1965-01-31"]], header=DATED_HEADER)
    )
    job = last_job()
    assert job.result["duplicates"] == 1 and job.result["birth_dates_filled"] == 0
    db.session.rollback()
    assert [db.session.get(Resident, t.id).birth_date for t in twins] == [None, None]


def test_a_finished_job_from_before_birth_dates_still_shows(client, committee, running_job):
    running_job.status = RosterImportStatus.DONE
    running_job.result = {
        "rows": 1,
        "residents_created": 1,
        "households_created": 1,
        "households_extended": 0,
        "households_regridded": 0,
        "grids_created": 0,
        "duplicates": 0,
        "duplicate_lines": [],
    }
    db.session.commit()
    as_user(client, committee)
    page = client.get(f"/v/hubin/manage/roster/imports/{running_job.id}")
    assert page.status_code == 200 and "补上出生日期" in page.text


def test_upload_page_names_the_birth_date_column(client, committee):
    as_user(client, committee)
    page = client.get(URL).text
    assert "<code>出生日期</code>" in page and "1968年3月5日" in page


def test_parse_date_refuses_what_it_cannot_read():
    for text in (
        "",
        "1968",
        "1968-3",
        "68-3-5",
        "1968-3/5",
        "1968年3月",
        "5.3.1968",
        "1968-03-05x",
    ):
        with pytest.raises(roster.NotADate) as caught:
            roster.parse_date(text)
        assert not caught.value.no_such_day, text
    with pytest.raises(roster.NotADate) as caught:
        roster.parse_date("2023-02-29")
    assert caught.value.no_such_day
    assert roster.parse_date("2024-02-29") == date(2024, 2, 29)
