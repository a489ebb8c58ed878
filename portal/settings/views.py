"""The village's settings page 本村设置, /v/<village>/manage/settings.

The committee sees each setting with its current value and its default, and changes
them in one form; supervisors and the town's officials read the same values without
the form. A change sent by htmx gets the form's block back, with the saved message or
the messages beside the bad fields; a plain form posts, redirects and shows the page.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.actions import Refusal
from portal.auth.access import village_or_town_role, village_role
from portal.auth.models import Role
from portal.htmx import is_boosted, is_htmx, redirect_after_post, render
from portal.manage.blueprint import EDITORS, READERS
from portal.settings import registry

bp = Blueprint("settings", __name__, url_prefix="/v/<village>/manage/settings")

TEMPLATE = "settings/index.html"
BLOCKS = {"settings-form": "settings_form"}


def _page(
    village,
    status: int = 200,
    *,
    submitted: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
):
    roles = g.get("roles", set())
    return render(
        TEMPLATE,
        blocks=BLOCKS,
        status=status,
        village=village,
        sections=registry.settings_for(village),
        can_edit=Role.COMMITTEE in roles,
        in_console=not roles.isdisjoint(READERS),
        submitted=submitted or {},
        errors=errors or {},
        message=message,
    )


@bp.get("")
@village_or_town_role(READERS, (Role.TOWN_OFFICIAL,))
def index(village):
    return _page(village)


@bp.post("")
@village_role(*EDITORS)
def save(village):
    fields = {item.field: item.key for item in registry.declared()}
    values = {key: request.form[name] for name, key in fields.items() if name in request.form}
    try:
        changed = registry.change_settings(current_user, village, values)
    except registry.SettingsRefusal as refusal:
        return _page(village, refusal.status, submitted=values, errors=refusal.errors)
    except Refusal as refusal:
        flash(refusal.message, "error")
        return _page(village, refusal.status, submitted=values)
    done = _("已保存 %(n)d 项设置。", n=len(changed)) if changed else _("没有改动，设置保持原样。")
    if is_htmx() and not is_boosted():
        return _page(village, message=done)
    flash(done, "success")
    return redirect_after_post(url_for(".index", village=village.slug))
