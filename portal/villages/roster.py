"""Roster import 花名册导入: CSV or XLSX in, households and residents out.

Columns (Chinese headers, any order, extra columns ignored): 门牌号, 网格, 姓名,
出生年份, 性别, and optionally 出生日期 (also headed 生日 or "birth date"): the full
birth date where the household register gives it, since it decides who is 18 on a
vote's opening day. A row with a birth date may leave the birth year empty (the
year is the date's); a row with both must have them agree. Rows with the same door
number form one household; an unknown grid name creates the grid; an existing
household (same door number) gets the new residents added, and moves to the grid
the file names.

All or nothing: every row is checked first, and if any row is bad nothing is
written; the report gives each bad row's line number (as a spreadsheet shows it)
and its reason. A good file is written in one transaction.

Duplicates are skipped, not refused: a resident with the same name and birth year
in the same household (already on the roster, or twice in the file) is left out
and its line listed in the report. A committee re-importing its updated roster
then only adds the new people. A resident already on the roster without a birth
date gets the date the file gives for them (the import never changes a date already
there: the lines whose date differs are listed instead), so adding a birth-date
column to the same roster and importing it again fills the dates in, and importing
it a third time changes nothing.

The work runs as a job (`RosterImport`), never in the web request: the upload queues
the job row and keeps the file on disk, and a thread of the app's import pool checks
and writes, reporting progress on the job row through short transactions of its own,
which the job page polls. A job left queued or interrupted by a server that stopped is
run again by `flask tick` (run from cron), from the kept file; whichever runner claims
the job first runs it, once. On SQLite the write phase holds the database's single
write lock, so progress is reported there only while checking; PostgreSQL reports both
phases. With `ROSTER_IMPORT_SYNC` set (tests), the job runs inside the upload request.
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path, PurePosixPath

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context, request
from flask_babel import lazy_gettext as _l

from portal import clock, tick
from portal.audit.services import record_action
from portal.auth.models import Role, User
from portal.database import write_transaction
from portal.extensions import db
from portal.i18n import list_of
from portal.villages.models import (
    Gender,
    Grid,
    Household,
    Resident,
    RosterImport,
    RosterImportStatus,
    Village,
)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
# An XLSX is a zip: refuse one that would unpack into more than this (zip bombs).
MAX_XLSX_UNPACKED = 100 * 1024 * 1024
# Rows whose errors are kept on the job; the count keeps counting past it.
MAX_KEPT_ERRORS = 1000
HEADER_SEARCH_ROWS = 10
CHUNK = 500

DOOR, GRID, NAME, BIRTH_YEAR, GENDER = "门牌号", "网格", "姓名", "出生年份", "性别"
COLUMNS = (DOOR, GRID, NAME, BIRTH_YEAR, GENDER)
# 出生日期: optional; where it is given, the birth year may be left out.
BIRTH_DATE = "出生日期"
# What a header cell may say for each column, compared without spaces, "_" or "-" and
# case-blind ("Birth date", "date_of_birth").
HEADER_NAMES = {name: name for name in COLUMNS} | {
    BIRTH_DATE: BIRTH_DATE,
    "生日": BIRTH_DATE,
    "出生年月日": BIRTH_DATE,
    "birthdate": BIRTH_DATE,
    "dateofbirth": BIRTH_DATE,
    "birthday": BIRTH_DATE,
}
MAX_LENGTH = {DOOR: 40, GRID: 60, NAME: 40}
GENDERS = {"男": Gender.MALE, "女": Gender.FEMALE}
EARLIEST_BIRTH_YEAR = 1900

MESSAGES = {
    "file_empty": _l("文件是空的。"),
    "file_too_large": _l("文件超过 5 MB，请分成几个文件上传。"),
    "import_running": _l("本村上一份花名册还在导入，请等它完成后再上传。"),
    "wrong_type": _l("文件类型不对：请上传 CSV 文件或 Excel 的 .xlsx 文件。"),
    "old_excel": _l("这是旧版 Excel（.xls）文件，请在 Excel 里另存为 .xlsx 或 CSV 后再上传。"),
    "bad_encoding": _l("看不懂文件的文字编码，请把 CSV 保存为 UTF-8 或 GB18030（GBK）编码。"),
    "xlsx_unreadable": _l("Excel 文件打不开，可能已经损坏。"),
    "csv_unreadable": _l("CSV 文件格式有误，无法读取。"),
    "missing_columns": _l(
        "缺少表头列：%(columns)s。表头应为：门牌号、网格、姓名、出生年份、性别。"
    ),
    "no_rows": _l("文件里没有数据行。"),
    "too_many_rows": _l("行数太多（最多 %(max)s 行），请分成几个文件上传。"),
    "door_missing": _l("缺少门牌号。"),
    "door_too_long": _l("门牌号太长（最多 %(max)s 个字）。"),
    "grid_too_long": _l("网格名称太长（最多 %(max)s 个字）。"),
    "name_missing": _l("缺少姓名。"),
    "name_too_long": _l("姓名太长（最多 %(max)s 个字）。"),
    "birth_year_missing": _l("缺少出生年份。"),
    "birth_year_not_number": _l("出生年份“%(value)s”不是数字，应写成四位数，例如 1968。"),
    "birth_year_out_of_range": _l("出生年份 %(value)s 不在 %(min)s 到 %(max)s 之间。"),
    "birth_missing": _l("缺少出生年份和出生日期，至少要填一项。"),
    "birth_date_invalid": _l(
        "出生日期“%(value)s”看不懂，应写成 1968-03-05、1968/3/5、1968年3月5日 或 19680305。"
    ),
    "birth_date_no_such_day": _l("出生日期“%(value)s”不对：日历上没有这一天。"),
    "birth_date_in_future": _l("出生日期 %(value)s 在今天之后。"),
    "birth_date_too_early": _l("出生日期 %(value)s 早于 %(min)s 年。"),
    "birth_year_date_conflict": _l("出生年份 %(year)s 和出生日期 %(value)s 对不上。"),
    "gender_missing": _l("缺少性别。"),
    "gender_invalid": _l("性别“%(value)s”不对，应填“男”或“女”。"),
    "grid_conflict": _l(
        "门牌号“%(door)s”在第 %(other_line)s 行填的网格是“%(other)s”，"
        "这里是“%(grid)s”：一户只能在一个网格。"
    ),
    "internal": _l("导入时出了错，没有导入任何数据。请稍后重新上传。"),
    "interrupted": _l("导入中断了，没有导入任何数据。请重新上传。"),
}


def describe(code: str, params: dict | None = None) -> str:
    """The sentence for an error code, in the reader's language."""
    message = MESSAGES.get(code, MESSAGES["internal"])
    return str(message) % (params or {}) if params else str(message)


class RosterFileError(Exception):
    """The file as a whole cannot be imported (type, encoding, header, size)."""

    def __init__(self, code: str, line: int = 0, **params):
        super().__init__(code)
        self.code = code
        self.line = line
        self.params = params

    def as_entry(self) -> dict:
        return {"line": self.line, "code": self.code, "params": self.params}

    def __str__(self) -> str:
        return describe(self.code, self.params)


# --- reading the file -------------------------------------------------------------

BINARY_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"\x1f\x8b",
    b"Rar!",
    b"7z\xbc\xaf",
    b"\x7fELF",
)
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def detect_format(data: bytes) -> str:
    """ "csv" or "xlsx", judged by the content, never by the file name."""
    if not data or not data.strip():
        raise RosterFileError("file_empty")
    if len(data) > MAX_BYTES:
        raise RosterFileError("file_too_large")
    if data.startswith(OLE2_MAGIC):
        raise RosterFileError("old_excel")
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                entries = archive.infolist()
        except (zipfile.BadZipFile, ValueError) as exc:
            raise RosterFileError("wrong_type") from exc
        names = {entry.filename for entry in entries}
        if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
            raise RosterFileError("wrong_type")
        if len(entries) > 1000 or sum(e.file_size for e in entries) > MAX_XLSX_UNPACKED:
            raise RosterFileError("xlsx_unreadable")
        return "xlsx"
    if data.startswith(BINARY_MAGIC) or data.lstrip()[:1] == b"<":
        raise RosterFileError("wrong_type")
    decode_text(data)
    return "csv"


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel's 'Unicode text'), or GB18030."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise RosterFileError("bad_encoding") from exc
    else:
        if b"\x00" in data:
            raise RosterFileError("wrong_type")
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise RosterFileError("bad_encoding")
    text = text.lstrip("\ufeff")
    if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text):
        raise RosterFileError("wrong_type")
    return text


def cell_text(value) -> str:
    """A cell as clean text: full-width forms folded (NFKC), spaces trimmed.

    An Excel date cell comes as a datetime; it becomes its day as 1968-03-05, which
    `parse_date` reads like any date typed as text.
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def header_name(cell: str) -> str | None:
    """The column a header cell names, or None."""
    return HEADER_NAMES.get(re.sub(r"[\s_\-]", "", cell).casefold())


# --- dates as people write them ---------------------------------------------------

# 1968-03-05, 1968-3-5, 1968/3/5, 1968.3.5 (one separator throughout); 1968年3月5日;
# 19680305. Day first or month first (5/3/1968) is ambiguous and is not read.
_DATE_FORMS = (
    re.compile(r"(?P<y>[0-9]{4})(?P<sep>[-/.])(?P<m>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})"),
    re.compile(r"(?P<y>[0-9]{4})\s*年\s*(?P<m>[0-9]{1,2})\s*月\s*(?P<d>[0-9]{1,2})\s*日?"),
    re.compile(r"(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})"),
)


class NotADate(ValueError):
    """Text that is not a date the portal reads; `no_such_day` when it has a date's
    form but the calendar has no such day (1968-02-30), so the message can say which."""

    def __init__(self, no_such_day: bool = False):
        super().__init__("no such day" if no_such_day else "not a date")
        self.no_such_day = no_such_day


def parse_date(text: str) -> date:
    """A date written as Chinese households and spreadsheets write one (see `_DATE_FORMS`).

    Full-width digits are folded first, so 1968年３月５日 reads too. The roster import
    and the console's date fields read dates with this one function, so a clerk can
    type a date the same way in both.
    """
    text = unicodedata.normalize("NFKC", text).strip()
    for form in _DATE_FORMS:
        match = form.fullmatch(text)
        if match:
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError as exc:
                raise NotADate(no_such_day=True) from exc
    raise NotADate()


def _csv_rows(data: bytes) -> Iterator[tuple[int, list]]:
    text = decode_text(data)
    # Comma, or tab (Excel's "Unicode text"), or semicolon; a title row may sit above the header.
    head = "\n".join(text.split("\n", HEADER_SEARCH_ROWS)[:HEADER_SEARCH_ROWS])
    delimiter = max(",\t;", key=head.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 0
    try:
        for line, cells in enumerate(reader, start=1):
            yield line, cells
    except csv.Error as exc:
        raise RosterFileError("csv_unreadable", line=line + 1) from exc


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise RosterFileError("xlsx_unreadable") from exc
    try:
        if not workbook.worksheets:
            raise RosterFileError("no_rows")
        sheet = workbook.worksheets[0]
        # Ignore the dimension the file claims; some writers get it wrong.
        sheet.reset_dimensions()
        try:
            for line, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield line, list(cells)
        except RosterFileError:
            raise
        except Exception as exc:
            raise RosterFileError("xlsx_unreadable") from exc
    finally:
        workbook.close()


def read_table(
    data: bytes, file_format: str
) -> tuple[int, dict[str, int], list[tuple[int, list[str]]]]:
    """The header's line, the column positions, and the non-blank data rows with their lines."""
    source = _xlsx_rows(data) if file_format == "xlsx" else _csv_rows(data)
    header_line, columns = 0, None
    rows: list[tuple[int, list[str]]] = []
    for line, raw in source:
        cells = [cell_text(value) for value in raw]
        if not any(cells):
            continue
        if columns is None:
            found = {
                name: i
                for i, cell in reversed(list(enumerate(cells)))
                if (name := header_name(cell)) is not None
            }
            if found:
                header_line, columns = line, found
                missing = [name for name in COLUMNS if name not in found]
                if BIRTH_DATE in found and BIRTH_YEAR in missing:
                    missing.remove(BIRTH_YEAR)  # each row's year comes from its date
                if missing:
                    raise RosterFileError("missing_columns", line=line, columns=list_of(missing))
            elif line >= HEADER_SEARCH_ROWS:
                raise RosterFileError("missing_columns", line=1, columns=list_of(COLUMNS))
            continue
        rows.append((line, cells))
        if len(rows) > MAX_ROWS:
            raise RosterFileError("too_many_rows", max=MAX_ROWS)
    if columns is None:
        raise RosterFileError("missing_columns", line=1, columns=list_of(COLUMNS))
    if not rows:
        raise RosterFileError("no_rows", line=header_line + 1)
    return header_line, columns, rows


# --- checking the rows ------------------------------------------------------------


@dataclass
class RosterRow:
    line: int
    door_number: str
    grid: str  # "" when the file names none
    name: str
    birth_year: int
    gender: Gender
    birth_date: date | None = None


@dataclass
class CheckedRoster:
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)


def _short(value: str) -> str:
    return value if len(value) <= 20 else value[:20] + "…"


def check_row(line: int, cells: list[str], columns: dict[str, int], today: date):
    """One row: a `RosterRow`, or the list of what is wrong with it."""

    def get(name: str) -> str:
        i = columns.get(name)
        return cells[i] if i is not None and i < len(cells) else ""

    errors: list[tuple[str, dict]] = []
    door, grid, name = get(DOOR), get(GRID), get(NAME)
    if not door:
        errors.append(("door_missing", {}))
    elif len(door) > MAX_LENGTH[DOOR]:
        errors.append(("door_too_long", {"max": MAX_LENGTH[DOOR]}))
    if len(grid) > MAX_LENGTH[GRID]:
        errors.append(("grid_too_long", {"max": MAX_LENGTH[GRID]}))
    if not name:
        errors.append(("name_missing", {}))
    elif len(name) > MAX_LENGTH[NAME]:
        errors.append(("name_too_long", {"max": MAX_LENGTH[NAME]}))

    year_text, date_text = get(BIRTH_YEAR), get(BIRTH_DATE)
    birth_year = birth_date = None
    if not year_text and not date_text:
        errors.append(("birth_missing" if BIRTH_DATE in columns else "birth_year_missing", {}))
    if year_text:
        birth_year, year_error = _check_birth_year(year_text, today)
        if year_error:
            errors.append(year_error)
    if date_text:
        birth_date, date_error = _check_birth_date(date_text, today)
        if date_error:
            errors.append(date_error)
    if birth_year is not None and birth_date is not None and birth_date.year != birth_year:
        errors.append(
            ("birth_year_date_conflict", {"year": birth_year, "value": _short(date_text)})
        )

    gender_text = get(GENDER)
    if not gender_text:
        errors.append(("gender_missing", {}))
    elif gender_text not in GENDERS:
        errors.append(("gender_invalid", {"value": _short(gender_text)}))

    if errors:
        return [{"line": line, "code": code, "params": params} for code, params in errors]
    if birth_year is None:
        birth_year = birth_date.year
    return RosterRow(line, door, grid, name, birth_year, GENDERS[gender_text], birth_date)


def _check_birth_year(text: str, today: date) -> tuple[int | None, tuple[str, dict] | None]:
    """A birth year cell: the year, or what is wrong with it (not four digits, out of range)."""
    if not (text.isascii() and text.isdigit()):
        return None, ("birth_year_not_number", {"value": _short(text)})
    year = int(text)
    if not EARLIEST_BIRTH_YEAR <= year <= today.year:
        return None, (
            "birth_year_out_of_range",
            {"value": _short(text), "min": EARLIEST_BIRTH_YEAR, "max": today.year},
        )
    return year, None


def _check_birth_date(text: str, today: date) -> tuple[date | None, tuple[str, dict] | None]:
    """A birth date cell: the date, or what is wrong with it (not a date, no such day,
    after today, before the earliest birth year the roster takes)."""
    value = {"value": _short(text)}
    try:
        day = parse_date(text)
    except NotADate as exc:
        return None, ("birth_date_no_such_day" if exc.no_such_day else "birth_date_invalid", value)
    if day > today:
        return None, ("birth_date_in_future", value)
    if day.year < EARLIEST_BIRTH_YEAR:
        return None, ("birth_date_too_early", {**value, "min": EARLIEST_BIRTH_YEAR})
    return day, None


def check_rows(
    rows: list[tuple[int, list[str]]],
    columns: dict[str, int],
    progress: Callable[[int], None] | None = None,
) -> CheckedRoster:
    """Check every row; also that a household's rows agree on its grid."""
    today = clock.today_local()
    checked = CheckedRoster()
    grid_of_door: dict[str, tuple[str, int]] = {}
    for n, (line, cells) in enumerate(rows, start=1):
        outcome = check_row(line, cells, columns, today)
        if isinstance(outcome, list):
            checked.errors.extend(outcome)
        else:
            if outcome.grid:
                seen = grid_of_door.setdefault(outcome.door_number, (outcome.grid, line))
                if seen[0] != outcome.grid:
                    checked.errors.append(
                        {
                            "line": line,
                            "code": "grid_conflict",
                            "params": {
                                "door": _short(outcome.door_number),
                                "grid": _short(outcome.grid),
                                "other": _short(seen[0]),
                                "other_line": seen[1],
                            },
                        }
                    )
                    continue
            checked.rows.append(outcome)
        if progress and n % CHUNK == 0:
            progress(n)
    if progress:
        progress(len(rows))
    return checked


# --- writing ----------------------------------------------------------------------

# What a duplicate key may stand for besides one resident's (id, birth date).
_SEVERAL = "several"  # more than one resident on the roster already shares it
_ADDED = "added"  # someone this file adds


def apply_roster(
    village: Village, rows: list[RosterRow], progress: Callable[[int], None] | None = None
) -> dict:
    """Write checked rows into `village`, inside the caller's transaction; return the counts.

    A row whose (household, name, birth year) is already on the roster is a duplicate and
    adds nobody; if it gives a birth date and that one resident has none, the date is
    filled in. Where several residents already share the key, which of them the row
    means is unknown, so none of them gets the date.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        # One import at a time per village; FOR NO KEY UPDATE leaves other writers
        # that merely reference the village (registrations, notices) unblocked.
        db.session.execute(
            sa.select(Village.id).where(Village.id == village.id).with_for_update(key_share=True)
        )
    grids = {
        g.name: g for g in db.session.scalars(sa.select(Grid).where(Grid.village_id == village.id))
    }
    households = {
        h.door_number: h
        for h in db.session.scalars(sa.select(Household).where(Household.village_id == village.id))
    }
    # For each (household, name, birth year): the one resident's (id, birth date), or
    # one of the markers above.
    on_roster: dict[tuple, tuple[int, date | None] | str] = {}
    for resident_id, household_id, name, birth_year, birth_date in db.session.execute(
        sa.select(
            Resident.id,
            Resident.household_id,
            Resident.name,
            Resident.birth_year,
            Resident.birth_date,
        ).where(Resident.village_id == village.id)
    ):
        key = (household_id, name, birth_year)
        on_roster[key] = _SEVERAL if key in on_roster else (resident_id, birth_date)

    grids_created = 0
    created_doors: set[str] = set()
    regridded_doors: set[str] = set()
    for row in rows:
        grid = None
        if row.grid:
            grid = grids.get(row.grid)
            if grid is None:
                grid = Grid(village_id=village.id, name=row.grid)
                db.session.add(grid)
                grids[row.grid] = grid
                grids_created += 1
        household = households.get(row.door_number)
        if household is None:
            household = Household(village_id=village.id, door_number=row.door_number, grid=grid)
            db.session.add(household)
            households[row.door_number] = household
            created_doors.add(row.door_number)
        elif grid is not None and (grid.id is None or household.grid_id != grid.id):
            household.grid = grid
            if row.door_number not in created_doors:
                regridded_doors.add(row.door_number)
    db.session.flush()

    now = clock.now()
    duplicate_lines: list[int] = []
    differing_lines: list[int] = []
    extended_doors: set[str] = set()
    batch: list[dict] = []
    fills: list[dict] = []
    created = filled = 0
    for n, row in enumerate(rows, start=1):
        household = households[row.door_number]
        key = (household.id, row.name, row.birth_year)
        known = on_roster.get(key)
        if known is None:
            on_roster[key] = _ADDED
            if row.door_number not in created_doors:
                extended_doors.add(row.door_number)
            batch.append(
                {
                    "village_id": village.id,
                    "household_id": household.id,
                    "name": row.name,
                    "birth_year": row.birth_year,
                    "birth_date": row.birth_date,
                    "gender": row.gender,
                    "created_at": now,
                }
            )
        else:
            duplicate_lines.append(row.line)
            if row.birth_date is not None and isinstance(known, tuple):
                resident_id, birth_date = known
                if birth_date is None:
                    fills.append({"id": resident_id, "birth_date": row.birth_date})
                    on_roster[key] = (resident_id, row.birth_date)
                elif birth_date != row.birth_date:
                    differing_lines.append(row.line)
        if len(batch) + len(fills) >= CHUNK or n == len(rows):
            if batch:
                db.session.execute(sa.insert(Resident), batch)
                created += len(batch)
                batch = []
            if fills:
                db.session.execute(sa.update(Resident), fills)  # by primary key
                filled += len(fills)
                fills = []
            if progress:
                progress(n)
    return {
        "rows": len(rows),
        "residents_created": created,
        "households_created": len(created_doors),
        "households_extended": len(extended_doors),
        "households_regridded": len(regridded_doors),
        "grids_created": grids_created,
        "duplicates": len(duplicate_lines),
        "duplicate_lines": duplicate_lines[:200],
        "birth_dates_filled": filled,
        "birth_dates_differing": len(differing_lines),
        "birth_date_differing_lines": differing_lines[:200],
    }


# --- the job ----------------------------------------------------------------------


def clean_filename(name: str | None) -> str:
    name = PurePosixPath((name or "").replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:200] or "roster"


def read_upload(stream, limit: int = MAX_BYTES) -> bytes:
    """Read at most `limit` bytes; a longer file is refused, not cut short."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise RosterFileError("file_too_large")
    return data


# The uploaded files of jobs not yet run, named by the job's id, kept until the job is
# over: a job queued or interrupted is run again from its file by `flask tick`.
def upload_dir() -> Path:
    """`ROSTER_IMPORT_DIR`, by default `<instance>/roster-imports`. With more than one app
    server it is a directory they share, as the notices' attachments are."""
    configured = current_app.config.get("ROSTER_IMPORT_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "roster-imports"


def _upload_paths(job_id: int) -> tuple[Path, Path]:
    folder = upload_dir()
    return folder / f"{job_id}.upload", folder / f"{job_id}.json"


def _keep_upload(job_id: int, data: bytes, ip: str | None) -> None:
    data_path, meta_path = _upload_paths(job_id)
    data_path.parent.mkdir(parents=True, exist_ok=True)
    data_path.write_bytes(data)
    meta_path.write_text(json.dumps({"ip": ip}), encoding="utf-8")


def _kept_upload(job_id: int) -> tuple[bytes, str | None] | None:
    data_path, meta_path = _upload_paths(job_id)
    try:
        data = data_path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        ip = json.loads(meta_path.read_text(encoding="utf-8")).get("ip")
    except (OSError, ValueError, AttributeError):
        ip = None
    return data, ip


def _drop_upload(job_id: int) -> None:
    for path in _upload_paths(job_id):
        path.unlink(missing_ok=True)


def start_import(village: Village, actor, data: bytes, filename: str, file_format: str) -> int:
    """Queue the job and hand it to the import threads (or run it here when
    ROSTER_IMPORT_SYNC); return its id.

    The job is queued in the database with its file kept on disk before the upload is
    answered, so a server restarting before or during the import loses nothing: `flask
    tick` runs what is queued or was interrupted. One import at a time per village: a
    second upload while one is running is refused (on SQLite the running import also
    holds the database's only write lock); one that stopped reporting is set aside as
    interrupted, its file with it, and this upload takes its place.
    """
    running = db.session.scalars(
        sa.select(RosterImport).where(
            RosterImport.village_id == village.id, RosterImport.finished_at.is_(None)
        )
    ).all()
    if any(not is_interrupted(job) for job in running):
        raise RosterFileError("import_running")
    job = RosterImport(
        village_id=village.id,
        created_by_id=actor.id,
        filename=clean_filename(filename),
        file_format=file_format,
        status=RosterImportStatus.QUEUED,
    )
    app = current_app._get_current_object()
    inline = bool(app.config.get("ROSTER_IMPORT_SYNC"))
    ip = request.remote_addr if has_request_context() else None
    superseded = [old.id for old in running]
    job_id = None
    try:
        db.session.add(job)
        db.session.flush()
        job_id = job.id
        if superseded:
            _set_aside(superseded)
        if not inline:
            _keep_upload(job_id, data, ip)
        db.session.commit()
    except sa.exc.OperationalError as exc:  # the write lock stayed taken past busy_timeout
        db.session.rollback()
        if job_id is not None:
            _drop_upload(job_id)
        raise RosterFileError("import_running") from exc
    except BaseException:
        db.session.rollback()
        if job_id is not None:
            _drop_upload(job_id)
        raise
    for old_id in superseded:
        _drop_upload(old_id)
    if inline:
        run_job(job_id, upload=(data, ip))
    else:
        _submit(app, job_id)
    return job_id


def _set_aside(job_ids: list[int]) -> None:
    """Mark interrupted jobs over, inside the caller's transaction, if they are still
    silent (a `flask tick` may have taken one up meanwhile)."""
    db.session.execute(
        sa.update(RosterImport)
        .where(
            RosterImport.id.in_(job_ids),
            RosterImport.finished_at.is_(None),
            RosterImport.updated_at < _stale_before(clock.now()),
        )
        .values(
            status=RosterImportStatus.FAILED,
            errors=[{"line": 0, "code": "interrupted", "params": {}}],
            error_count=1,
            updated_at=clock.now(),
            finished_at=clock.now(),
        )
        .execution_options(synchronize_session=False)
    )


# The import threads of this process: one at a time, so imports queue up behind each
# other instead of crowding the web worker. Started on the first upload; a job's future
# is kept until it is done (tests wait on it).
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_futures: dict[int, Future] = {}


def _submit(app: Flask, job_id: int) -> None:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="roster-import")
        future = _pool.submit(_run_in_app, app, job_id)
        _futures[job_id] = future
    future.add_done_callback(lambda _done: _futures.pop(job_id, None))


def wait_for_imports(timeout: float | None = None) -> None:
    """Wait until the jobs handed to this process's import threads are done."""
    for future in list(_futures.values()):
        future.result(timeout)


def _run_in_app(app: Flask, job_id: int) -> None:
    with app.app_context():
        try:
            run_job(job_id)
        finally:
            db.session.remove()


def _stale_before(now: datetime) -> datetime:
    return now - timedelta(seconds=STALE_AFTER_SECONDS)


def claim_job(job_id: int, now: datetime | None = None) -> bool:
    """Take a queued job, or one interrupted (silent past STALE_AFTER_SECONDS), to run it.

    One statement that only one runner can win: the import threads of any app server
    and `flask tick` may reach for the same job, and exactly one of them runs it. The
    job starts afresh (an interrupted one wrote nothing: its write is one transaction).
    """
    now = now or clock.now()
    waiting = sa.or_(
        RosterImport.status == RosterImportStatus.QUEUED,
        RosterImport.updated_at < _stale_before(now),
    )
    with db.engine.begin() as connection:
        claimed = connection.execute(
            sa.update(RosterImport)
            .where(RosterImport.id == job_id, RosterImport.finished_at.is_(None), waiting)
            .values(
                status=RosterImportStatus.CHECKING,
                total_rows=0,
                checked_rows=0,
                written_rows=0,
                updated_at=clock.now(),
            )
        )
    return claimed.rowcount == 1


def run_job(
    job_id: int, upload: tuple[bytes, str | None] | None = None, now: datetime | None = None
) -> bool:
    """Claim the job and run it from `upload` (the file and the uploader's address) or
    from its kept file; False if another runner has it or it is over."""
    if not claim_job(job_id, now):
        return False
    if upload is not None:
        run_import(job_id, *upload)
        return True
    try:
        kept = _kept_upload(job_id)
        if kept is None:  # its file is gone: nothing to run it from
            _finish(
                job_id,
                RosterImportStatus.FAILED,
                [{"line": 0, "code": "interrupted", "params": {}}],
                1,
            )
        else:
            run_import(job_id, *kept)
    finally:
        _drop_upload(job_id)
    return True


def run_waiting_imports(now: datetime) -> int:
    """`flask tick`: run the imports queued, or interrupted by a server that stopped,
    oldest first; how many were run."""
    waiting = list(
        db.session.scalars(
            sa.select(RosterImport.id)
            .where(
                RosterImport.finished_at.is_(None),
                sa.or_(
                    RosterImport.status == RosterImportStatus.QUEUED,
                    RosterImport.updated_at < _stale_before(now),
                ),
            )
            .order_by(RosterImport.id)
            .limit(100)
        )
    )
    db.session.rollback()
    return sum(1 for job_id in waiting if run_job(job_id, now=now))


tick.register("roster.imports", run_waiting_imports)


def report_progress(job_id: int, **values) -> None:
    """Update the job row in a short transaction of its own, visible at once to the job page."""
    values["updated_at"] = clock.now()
    with db.engine.begin() as connection:
        connection.execute(
            sa.update(RosterImport).where(RosterImport.id == job_id).values(**values)
        )


def _finish(job_id: int, status: RosterImportStatus, errors: list[dict], error_count: int) -> None:
    report_progress(
        job_id,
        status=status,
        errors=errors[:MAX_KEPT_ERRORS],
        error_count=error_count,
        finished_at=clock.now(),
    )


def run_import(job_id: int, data: bytes, ip: str | None) -> None:
    """Check every row, then write them all in one transaction, or nothing.

    The job row's counters grow as the work goes: checked rows every CHUNK rows, and
    written rows every CHUNK rows where another connection can see them while the write
    transaction is open (PostgreSQL; SQLite has one write lock, which the write holds).
    """
    try:
        job = db.session.get(RosterImport, job_id)
        village_id, actor_id = job.village_id, job.created_by_id
        db.session.rollback()
        try:
            _header_line, columns, table = read_table(data, detect_format(data))
        except RosterFileError as exc:
            _finish(job_id, RosterImportStatus.REJECTED, [exc.as_entry()], 1)
            return
        report_progress(job_id, total_rows=len(table))
        checked = check_rows(table, columns, lambda n: report_progress(job_id, checked_rows=n))
        if checked.errors:
            checked.errors.sort(key=lambda entry: entry["line"])
            _finish(job_id, RosterImportStatus.REJECTED, checked.errors, len(checked.errors))
            return

        report_progress(job_id, status=RosterImportStatus.WRITING)
        write_progress = None
        if db.engine.dialect.name != "sqlite":

            def write_progress(n: int) -> None:
                report_progress(job_id, written_rows=n)

        write_transaction()
        village = db.session.get(Village, village_id)
        job = db.session.get(RosterImport, job_id)
        actor = db.session.get(User, actor_id) if actor_id else None
        result = apply_roster(village, checked.rows, write_progress)
        counts = {k: v for k, v in result.items() if not k.endswith("_lines")}
        log = record_action(
            actor, Role.COMMITTEE, "roster.import", job, village=village, after=counts
        )
        log.ip = ip
        db.session.execute(
            sa.update(RosterImport)
            .where(RosterImport.id == job_id)
            .values(
                status=RosterImportStatus.DONE,
                written_rows=len(table),
                result=result,
                updated_at=clock.now(),
                finished_at=clock.now(),
            )
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        current_app.logger.exception("roster import %s failed", job_id)
        _finish(
            job_id, RosterImportStatus.FAILED, [{"line": 0, "code": "internal", "params": {}}], 1
        )


STALE_AFTER_SECONDS = 600


def is_interrupted(job: RosterImport) -> bool:
    """A job that stopped reporting (its server restarted, say): `flask tick` runs it again
    from its file, or a new upload sets it aside."""
    if job.finished:
        return False
    return (clock.now() - job.updated_at).total_seconds() > STALE_AFTER_SECONDS


def recent_imports(village: Village, limit: int = 10) -> list[RosterImport]:
    return list(
        db.session.scalars(
            sa.select(RosterImport)
            .where(RosterImport.village_id == village.id)
            .order_by(RosterImport.created_at.desc(), RosterImport.id.desc())
            .limit(limit)
        )
    )
