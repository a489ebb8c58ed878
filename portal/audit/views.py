"""The action log 操作日志 at /v/<village>/manage/log (DESIGN.md 2.6).

The committee, the supervision committee 村务监督委员会 and the officials of the
village's town 镇街 read who did what, in which role, to what, and when; nobody
changes it. Newest first, a page at a time on a cursor; filters in a plain GET form
(htmx swaps only the list); "load more" appends the next page.
"""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, g, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from portal.audit import labels, listing
from portal.audit.listing import Cursor, LogFilter
from portal.auth.access import village_or_town_role
from portal.auth.models import Role
from portal.htmx import render
from portal.manage.blueprint import READERS
from portal.villages.models import Village

bp = Blueprint("audit", __name__, url_prefix="/v/<village>/manage")

LOG_BLOCKS = {"log-list": "entries", "log-more": "more"}

_ID = re.compile(r"[0-9]{1,18}")
# Kinds of action and of object are machine names: "rules", "notice", "ruleversion".
_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Dates the log can hold: anything else is a typing slip, not a filter.
_YEARS = range(2000, 2101)


def _date_arg(raw: str) -> date | None:
    if not _DATE.fullmatch(raw):
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None
    return day if day.year in _YEARS else None


def parse_filters(args: MultiDict) -> tuple[LogFilter, list[str]]:
    """The filters of the query string, and a message for each value that is not one.

    A value that cannot be used is dropped, the message says so, and the list is shown
    without it: a slip in the address bar is answered, never a 500.
    """
    problems: list[str] = []
    values: dict = {}
    actor = args.get("actor", "").strip()
    if actor == "system":
        values["system"] = True
    elif actor:
        if _ID.fullmatch(actor):
            values["actor"] = int(actor)
        else:
            problems.append(_("没有这个经办人，下面是所有人的记录。"))
    kind = args.get("kind", "").strip()
    if kind:
        if _NAME.fullmatch(kind):
            values["kind"] = kind
        else:
            problems.append(_("没有这类事项，下面是各类事项的记录。"))
    object_type = args.get("object", "").strip()
    if object_type:
        if _NAME.fullmatch(object_type):
            values["object_type"] = object_type
        else:
            problems.append(_("没有这类对象，下面是所有对象的记录。"))
    object_id = args.get("object_id", "").strip()
    if object_id:
        if _ID.fullmatch(object_id) and int(object_id) > 0:
            values["object_id"] = int(object_id)
        else:
            problems.append(_("对象编号应当是一个正整数，已不按编号筛选。"))
    for name, key in (("from", "start"), ("to", "end")):
        raw = args.get(name, "").strip()
        if not raw:
            continue
        day = _date_arg(raw)
        if day is None:
            problems.append(
                _("“%(value)s”不是有效的日期（例如 2026-11-26），已不按它筛选。", value=raw[:20])
            )
        else:
            values[key] = day
    if values.get("start") and values.get("end") and values["start"] > values["end"]:
        problems.append(_("开始日期晚于结束日期，已不按日期筛选。"))
        del values["start"], values["end"]
    return LogFilter(**values), problems


def filter_args(wanted: LogFilter) -> dict[str, str]:
    """The query string that asks for `wanted` again (for the next page's link)."""
    args = {
        "actor": "system" if wanted.system else wanted.actor,
        "kind": wanted.kind,
        "object": wanted.object_type,
        "object_id": wanted.object_id,
        "from": wanted.start.isoformat() if wanted.start else None,
        "to": wanted.end.isoformat() if wanted.end else None,
    }
    return {key: str(value) for key, value in args.items() if value is not None}


def _prefix(endpoint: str, **values) -> str:
    """The URL of `endpoint` for object id 0 without its "0": a row's id completes it, so a
    page of entries builds each kind of link once."""
    url = url_for(endpoint, **values)
    if not url.endswith("/0"):
        raise ValueError(f"{endpoint} does not end with its id: {url}")
    return url[:-1]


def object_links(village: Village, in_console: bool) -> dict[str, str]:
    """Where an entry's object can be seen by this reader: the console's page of it for the
    committee and supervisors, its public page for the town."""
    slug = village.slug
    if in_console:
        return {
            "notice": _prefix("notices.manage_show", village=slug, notice_id=0),
            "ruledocument": _prefix("rules_manage.document", village=slug, document_id=0),
            "rosterimport": _prefix("manage.roster_job", village=slug, job_id=0),
        }
    return {
        "notice": _prefix("notices.show", village=slug, notice_id=0),
        "ruledocument": _prefix("rules.document", village=slug, document_id=0),
    }


def _entries(rows, names: dict[int, str], links: dict[str, str]) -> list[dict]:
    system = _("系统")
    entries = []
    for row in rows:
        if row.actor_id is None:
            who = system
        else:
            who = names.get(row.actor_id) or f"#{row.actor_id}"
        link = None
        if row.object_id is not None and row.object_type in links:
            link = f"{links[row.object_type]}{row.object_id}"
        # The portal's own actions (`flask tick`) are the system's: no role beside it.
        role = None if row.actor_id is None and row.role in ("", "system") else row.role
        entries.append(
            {
                "id": row.id,
                "at": row.at,
                "who": who,
                "role": labels.role_label(role) if role else None,
                "action": labels.action_label(row.action),
                "object": labels.object_label(row.object_type) if row.object_type else "",
                "object_id": row.object_id,
                "link": link,
                "changes": listing.changes(row.summary, row.object_type),
            }
        )
    return entries


@bp.get("/log")
@village_or_town_role(READERS, (Role.TOWN_OFFICIAL,))
def log(village: Village):
    """A page of the log: three statements of its own (the filter's choices, the entries,
    the actors' names), however many entries the page holds."""
    wanted, problems = parse_filters(request.args)
    cursor = None
    raw_cursor = request.args.get("cursor", "").strip()
    if raw_cursor:
        cursor = Cursor.decode(raw_cursor)
        if cursor is None:
            problems.append(_("翻页的位置无法识别，下面从最新的记录开始。"))
    page = listing.log_page(village, wanted, cursor)
    choices = listing.recent_choices(village)
    # Names only of people who appear in this village's log: an id typed into the address
    # bar names nobody.
    names = listing.actor_names(
        choices.actor_ids | {row.actor_id for row in page.entries if row.actor_id}
    )
    actor_options = sorted(((str(i), name) for i, name in names.items()), key=lambda o: o[1])
    if wanted.actor is not None and wanted.actor not in names:
        actor_options.append((str(wanted.actor), f"#{wanted.actor}"))
    in_console = not g.roles.isdisjoint(READERS)
    log_url = url_for(".log", village=village.slug)
    query = filter_args(wanted)
    kinds = list(choices.kinds)
    if wanted.kind and wanted.kind not in kinds:
        kinds.append(wanted.kind)
    object_types = list(choices.object_types)
    if wanted.object_type and wanted.object_type not in object_types:
        object_types.append(wanted.object_type)
    return render(
        "audit/log.html",
        blocks=LOG_BLOCKS,
        village=village,
        in_console=in_console,
        log_url=log_url,
        wanted=wanted,
        problems=problems,
        entries=_entries(page.entries, names, object_links(village, in_console)),
        next_url=url_for(".log", village=village.slug, **query, cursor=page.next_cursor.encode())
        if page.next_cursor
        else None,
        first_url=url_for(".log", village=village.slug, **query) if cursor else None,
        actor_options=actor_options,
        offer_system=choices.system or wanted.system,
        kind_options=[(kind, labels.kind_label(kind)) for kind in kinds],
        object_options=sorted(
            ((t, labels.object_label(t)) for t in object_types), key=lambda option: option[1]
        ),
    )
