"""What a page may show of a person (DESIGN.md 2.3, SECURITY.md rows 12 and 14).

PIPL Art. 25 forbids making personal information public without separate consent,
and the State Council's guidance on village notices asks for personal data to be
de-identified. So that every page follows one rule, this module holds:

- `mask_name`: how a name is shown to whoever may not see it whole (张*, 欧阳**);
  `surname_form` the same person as a signature names them (村民张某问).
- `may_see_full_name` and `shown_name`: who may see a resident's full name on the
  pages villagers and visitors read: the person themselves, the members of their
  household, and the committee and supervisors of the village. Everyone else,
  visitors included, sees the masked name. The committee's console pages are not
  asked: they are theirs alone and show the roster as it is.
- `no_store`, `private` and `private_page`: the headers of a page that must stay
  out of shared caches and the browser's history (every page for a logged-in
  person, see `portal.security`) and, for pages like the black board, out of
  search engines too.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

import sqlalchemy as sa
from flask import Response, g, has_app_context, make_response
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import aliased

from portal.auth.access import roles_in_village
from portal.auth.models import Role, User
from portal.extensions import db
from portal.villages.models import Resident, Village

# Two-character surnames kept whole when a name is masked (欧阳**). Only those whose
# first character is seldom a surname of its own, or whose second seldom begins a
# given name: a wrong match shows one character of the given name, a missed one
# only hides a character more (欧***).
COMPOUND_SURNAMES = frozenset(
    {
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "令狐",
        "端木",
        "独孤",
        "南宫",
        "西门",
        "万俟",
        "闻人",
        "澹台",
        "公冶",
        "濮阳",
        "淳于",
        "太叔",
        "申屠",
        "轩辕",
        "呼延",
        "赫连",
        "鲜于",
        "闾丘",
        "司空",
        "亓官",
        "拓跋",
        "第五",
        "羊舌",
        "微生",
        "东郭",
        "百里",
        "东门",
        "公羊",
        "漆雕",
        "巫马",
    }
)

# Who reads a village's people by name on its public pages, besides the person and
# their household: those who hold its roster anyway.
NAME_READERS = frozenset({Role.COMMITTEE, Role.SUPERVISOR})


def _no_name() -> str:
    """What stands for a person the roster has no name for: a word, never an empty gap."""
    return _("某某")


def mask_name(name: str | None, *, consented: bool = False) -> str:
    """张三 → 张*, 王建国 → 王**, 欧阳娜娜 → 欧阳**, Li Lei → Li ***.

    The surname (or, for a name of several words, the first word) and a star for
    each other character, at least one, so that even a one-character name is not
    shown whole. `consented` is for a person who agreed to be named in public (a
    red-board entry, DESIGN.md 2.3): the whole name, tidied.
    """
    text = " ".join((name or "").split())
    if not text:
        return _no_name()
    if consented:
        return text
    first, space, rest = text.partition(" ")
    if space:
        return f"{first} " + "*" * len(rest.replace(" ", ""))
    kept = text[:2] if text[:2] in COMPOUND_SURNAMES else text[:1]
    return kept + "*" * max(len(text) - len(kept), 1)


def surname_form(name: str | None, *, consented: bool = False) -> str:
    """陈建国 → 陈某, 欧阳娜娜 → 欧阳某, Li Lei → Li: a person by surname alone, as a
    signature reads (村民陈某问), where stars would look like a broken page. The
    same surname `mask_name` keeps; the whole name, tidied, for one who consented.
    """
    text = " ".join((name or "").split())
    if not text:
        return _no_name()
    if consented:
        return text
    first, space, _rest = text.partition(" ")
    if space:
        return first
    kept = text[:2] if text[:2] in COMPOUND_SURNAMES else text[:1]
    return _("%(surname)s某", surname=kept)


# --- who may see a name whole ----------------------------------------------------------

_viewer_row = aliased(Resident)
# The residents of the viewer's household, and the accounts linked to them: one
# statement, built once, run at most once a request and only when a page shows the
# name of someone other than the viewer.
_HOUSEHOLD_OF = (
    sa.select(Resident.id, User.id)
    .outerjoin(User, User.resident_id == Resident.id)
    .where(
        Resident.household_id
        == sa.select(_viewer_row.household_id)
        .where(_viewer_row.id == sa.bindparam("resident_id", type_=sa.Integer))
        .scalar_subquery()
    )
)


def _household_of(viewer: User) -> tuple[frozenset[int], frozenset[int]]:
    """(resident ids, user ids) of the viewer's household, kept for the request."""
    cache = g.setdefault("_household_cache", {}) if has_app_context() else {}
    if viewer.id not in cache:
        rows = db.session.execute(_HOUSEHOLD_OF, {"resident_id": viewer.resident_id}).all()
        cache[viewer.id] = (
            frozenset(resident_id for resident_id, _user in rows),
            frozenset(user_id for _resident, user_id in rows if user_id is not None),
        )
    return cache[viewer.id]


def _is_self(viewer: User, person: User | Resident) -> bool:
    if isinstance(person, Resident):
        return viewer.resident_id is not None and viewer.resident_id == person.id
    return viewer.id == person.id


def may_see_full_name(viewer, person: User | Resident | None, village: Village) -> bool:
    """May `viewer` see the full name of `person` (an account or a roster entry) on a
    page of `village`? Themselves; a verified villager their own household's members;
    the village's committee and supervisors anyone. Never a visitor.
    """
    if person is None or viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    if _is_self(viewer, person):
        return True
    held = roles_in_village(viewer, village)
    if held & NAME_READERS:
        return True
    if Role.VILLAGER not in held or viewer.resident_id is None:
        return False
    residents, users = _household_of(viewer)
    return person.id in (residents if isinstance(person, Resident) else users)


def shown_name(person: User | Resident | None, *, consented: bool = False) -> str:
    """`person`'s name as this page may show it to whoever is looking (a template global).

    Masked unless they consented or the viewer may see it whole; a viewer who sees it
    whole is told how everyone else sees it, so that no one takes their own full name
    on the page for what the village reads.
    """
    return _as_seen(person, consented, mask_name)


def signed_name(person: User | Resident | None, *, consented: bool = False) -> str:
    """`shown_name` in the form of a signature (陈某 rather than 陈**): who asked a
    question, who wrote a comment (a template global)."""
    return _as_seen(person, consented, surname_form)


def _as_seen(person, consented: bool, masked_form: Callable[..., str]) -> str:
    name = person.name if person is not None else None
    masked = masked_form(name, consented=consented)
    village = g.get("village")
    if consented or village is None or not (name or "").strip():
        return masked
    if not may_see_full_name(current_user, person, village):
        return masked
    return _(
        "%(name)s（公开显示为%(masked)s）",
        name=mask_name(name, consented=True),
        masked=masked,
    )


# --- pages that must not be kept ------------------------------------------------------


def no_store(response: Response) -> Response:
    """Kept by no shared cache nor the browser's history; a cache tells people apart by
    cookie (SECURITY.md row 12): what every page for a logged-in person gets."""
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Cookie")
    return response


def private(response: Response) -> Response:
    """`no_store`, and left out of search engines: for pages with personal data that only
    some may read (the black board, DESIGN.md 2.3), whoever asks for them."""
    no_store(response)
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def private_page(view: Callable) -> Callable:
    """A view whose every answer is `private`, its access rule kept (`view.access`)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        return private(make_response(view(*args, **kwargs)))

    return wrapper
