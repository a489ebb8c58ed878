"""The settings a village's committee chooses for itself, declared by each feature.

A feature declares each of its settings once, at import, from the module that reads
it (as `portal.tick` takes each lifecycle's freezer and `portal.registry` each
feature's home sections):

    COMMENTS_PER_MINUTE = settings.register(settings.number(
        "rules.comments_per_minute", label=_l("每人每分钟最多提几条意见"),
        section=_l("村规民约"), default=3, minimum=1, maximum=20, unit=_l("条"),
    ))

and reads the village's value where it applies the rule, `setting(village, key)`:
the typed value the committee chose, or the default where it chose none (no row).
The village's choices are read in one statement and kept for the rest of the request,
so a page or an action that reads several settings costs one lookup.

A setting is of one kind: a whole number between bounds (with a unit), a choice among
labelled values, or yes/no. The committee changes them on one page; `change_settings`
checks every value, refuses the whole change when any is bad (a message per field),
and writes the changed ones in one unit of work with one action-log row
`settings.change` naming each changed key's value before and after.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context
from flask_babel import gettext as _

from portal import clock
from portal.actions import Refusal, unit_of_work
from portal.audit.services import record_action
from portal.auth.access import require_committee
from portal.auth.models import Role, User
from portal.extensions import db
from portal.inputs import has_controls
from portal.settings.models import VALUE_MAX, VillageSetting
from portal.villages.models import Village

NUMBER = "number"
CHOICE = "choice"
YES_NO = "yes_no"
YES, NO = "1", "0"
# Longer than any whole number a setting allows, shorter than any text worth reading.
NUMBER_CHARS = 9
_CACHE = "portal.settings.values"
_WHOLE_NUMBER = re.compile("-?[0-9]+")


@dataclass(frozen=True)
class Setting:
    """One choice a village makes: its key, its words, its kind, bounds and default.

    `section` groups settings on the page (the feature's name, e.g. 村规民约); `order`
    places the setting among the others (and its section by its first setting).
    """

    key: str
    label: Any
    section: Any
    kind: str
    default: Any
    hint: Any = None
    minimum: int | None = None
    maximum: int | None = None
    unit: Any = None
    choices: tuple[tuple[str, Any], ...] = ()
    order: int = 100

    @property
    def field(self) -> str:
        """The form field's name (and the id of its element): the key, dots as dashes."""
        return "setting-" + self.key.replace(".", "-")

    def parse(self, raw: str | None) -> Any:
        """The typed value of what someone submitted; ValueError with a message for them."""
        text = (raw or "").strip()
        if has_controls(text):
            raise ValueError(_("不能含有控制字符。"))
        if len(text) > VALUE_MAX:
            raise ValueError(_("太长了，最多 %(n)d 个字。", n=VALUE_MAX))
        if self.kind == NUMBER:
            if not text:
                raise ValueError(_("请填写一个整数。"))
            if len(text) > NUMBER_CHARS or not _WHOLE_NUMBER.fullmatch(text):
                raise ValueError(_("请填写一个整数，例如 %(n)d。", n=self.default))
            number = int(text)
            if self.minimum is not None and number < self.minimum:
                raise ValueError(_("最少是 %(n)d。", n=self.minimum))
            if self.maximum is not None and number > self.maximum:
                raise ValueError(_("最多是 %(n)d。", n=self.maximum))
            return number
        if self.kind == YES_NO:
            if text not in (YES, NO):
                raise ValueError(_("请选择“是”或“否”。"))
            return text == YES
        if text not in {value for value, _label in self.choices}:
            raise ValueError(_("请从列出的选项中选择一项。"))
        return text

    def dump(self, value: Any) -> str:
        """`value` as it is stored in its row."""
        if self.kind == YES_NO:
            return YES if value else NO
        return str(value)

    def load(self, stored: str | None) -> Any:
        """The typed value of a stored row; the default where there is none, or where the
        stored value no longer fits the setting's bounds or choices."""
        if stored is None:
            return self.default
        try:
            return self.parse(stored)
        except ValueError:
            return self.default

    def show(self, value: Any) -> str:
        """`value` in words, as the page shows it."""
        if self.kind == YES_NO:
            return _("是") if value else _("否")
        if self.kind == CHOICE:
            return next((str(label) for v, label in self.choices if v == value), str(value))
        return f"{value} {self.unit}" if self.unit else str(value)


def number(
    key: str,
    *,
    label,
    section,
    default: int,
    minimum: int,
    maximum: int,
    unit=None,
    hint=None,
    order: int = 100,
) -> Setting:
    """A whole number from `minimum` to `maximum`."""
    if not minimum <= default <= maximum:
        raise ValueError(f"{key}: default {default} outside {minimum}..{maximum}")
    return Setting(key, label, section, NUMBER, default, hint, minimum, maximum, unit, (), order)


def choice(
    key: str, *, label, section, default: str, choices, hint=None, order: int = 100
) -> Setting:
    """One of `choices`, a sequence of (stored value, label)."""
    choices = tuple((str(value), words) for value, words in choices)
    if default not in {value for value, _words in choices}:
        raise ValueError(f"{key}: default {default!r} is not one of its choices")
    return Setting(key, label, section, CHOICE, default, hint, choices=choices, order=order)


def yes_no(key: str, *, label, section, default: bool, hint=None, order: int = 100) -> Setting:
    return Setting(key, label, section, YES_NO, bool(default), hint, order=order)


_SETTINGS: dict[str, Setting] = {}


def register(declared: Setting) -> Setting:
    """Declare `declared`; declaring the very same one again (a re-import) changes nothing."""
    existing = _SETTINGS.get(declared.key)
    if existing is not None and existing != declared:
        raise ValueError(f"two settings are keyed {declared.key!r}: {existing} and {declared}")
    if len(declared.key) > 60:
        raise ValueError(f"setting key {declared.key!r} is longer than its column")
    _SETTINGS[declared.key] = declared
    return declared


def declared() -> list[Setting]:
    """Every declared setting, in the page's order."""
    return sorted(_SETTINGS.values(), key=lambda s: (s.order, s.key))


def get(key: str) -> Setting:
    try:
        return _SETTINGS[key]
    except KeyError:
        raise KeyError(f"no setting is declared with the key {key!r}") from None


_ROWS = sa.select(VillageSetting.key, VillageSetting.value).where(
    VillageSetting.village_id == sa.bindparam("village_id", type_=sa.Integer)
)


def _stored(village_id: int) -> dict[str, str]:
    """The village's stored values by key: one statement, kept for the request."""
    cache = g.setdefault(_CACHE, {}) if has_request_context() else {}
    if village_id not in cache:
        cache[village_id] = dict(db.session.execute(_ROWS, {"village_id": village_id}).all())
    return cache[village_id]


def _forget(village_id: int) -> None:
    if has_request_context():
        g.get(_CACHE, {}).pop(village_id, None)


def _village_id(village: Village | int) -> int:
    return village if isinstance(village, int) else village.id


def setting(village: Village | int, key: str) -> Any:
    """The village's value of the setting `key`: its choice, or the default."""
    declared_setting = get(key)
    return declared_setting.load(_stored(_village_id(village)).get(key))


@dataclass(frozen=True)
class Entry:
    """One setting as the page shows it: the village's value, and whether it is the default."""

    setting: Setting
    value: Any
    chosen: bool

    @property
    def is_default(self) -> bool:
        return self.value == self.setting.default


@dataclass
class Section:
    label: Any
    entries: list[Entry] = field(default_factory=list)


def settings_for(village: Village) -> list[Section]:
    """Every declared setting with the village's value, grouped by section (one statement)."""
    stored = _stored(village.id)
    sections: dict[str, Section] = {}
    for item in declared():
        section = sections.setdefault(str(item.section), Section(item.section))
        raw = stored.get(item.key)
        section.entries.append(Entry(item, item.load(raw), raw is not None))
    return list(sections.values())


class SettingsRefusal(Refusal):
    """A change refused for bad values: `errors` maps each bad setting's key to its message."""

    status = 422

    def __init__(self, errors: dict[str, str]):
        first = next(iter(errors))
        super().__init__(_("请改正下面标出的问题。"), field=get(first).field)
        self.errors = errors


def change_settings(actor: User, village: Village, values: Mapping[str, str]) -> dict[str, Any]:
    """Set the village's settings named in `values` (key: submitted text), as its committee.

    Every value is checked first: if any is bad, nothing is written and the refusal names
    each bad one. Settings whose value does not change are left as they are; the changed
    ones are written, with one action-log row naming them before and after, in one unit
    of work. Returns {key: new value} of what changed (empty: nothing changed, no log row).
    """
    require_committee(actor, village.id)
    parsed: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, raw in values.items():
        item = _SETTINGS.get(key)
        if item is None:
            continue
        try:
            parsed[key] = item.parse(raw)
        except ValueError as error:
            errors[key] = str(error)
    if errors:
        raise SettingsRefusal(errors)
    with unit_of_work():
        rows = {
            row.key: row
            for row in db.session.scalars(
                sa.select(VillageSetting)
                .where(VillageSetting.village_id == village.id)
                .with_for_update()
            )
        }
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for key, value in parsed.items():
            item = _SETTINGS[key]
            row = rows.get(key)
            current = item.load(row.value if row is not None else None)
            if value == current:
                continue
            before[key], after[key] = current, value
            if row is None:
                db.session.add(
                    VillageSetting(
                        village_id=village.id,
                        key=key,
                        value=item.dump(value),
                        updated_by_id=actor.id,
                    )
                )
            else:
                row.value = item.dump(value)
                row.updated_by_id = actor.id
                row.updated_at = clock.now()
        if after:
            record_action(
                actor,
                Role.COMMITTEE,
                "settings.change",
                village,
                village=village,
                before=before,
                after=after,
            )
    _forget(village.id)
    return after


def label_of(key: str):
    """The label of the setting `key`, or None if no setting has that key."""
    found = _SETTINGS.get(key)
    return found.label if found is not None else None


def console_context(village: Village) -> dict:
    """The console home's link to the settings: it needs nothing from the database."""
    return {}
