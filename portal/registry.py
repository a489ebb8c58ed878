"""The sections of the village home and of the committee console's home, by feature.

The village home (`/v/<village>/`) shows a section for each feature the village uses:
村务公开, 村规民约, and next 红黑榜, 好人推荐, 积分. The console home shows each feature's
tiles (things waiting, figures). Neither page knows the features: each feature declares
its sections here from its own package, and the two views gather what is declared, in
order, and render each section's template with the context its function gives.

A feature declares in its package's `__init__.py`, which runs when the app is created
(`portal.models` imports every feature's tables):

    registry.home_section(
        "notices", order=10, template="notices/_home_section.html",
        context="portal.notices.home:home_context",
    )

`context` is a function `(village) -> dict`, or its import string "module:function"
(resolved on first use), so that declaring a section imports nothing of the feature's
services while its package is still being imported. The dicts of a page's sections are
rendered in one template, so their keys must differ: a clash fails loudly, naming both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from werkzeug.utils import import_string

if TYPE_CHECKING:
    from portal.villages.models import Village

ContextFunction = Callable[["Village"], dict]


@dataclass(frozen=True)
class Section:
    """One feature's part of a page: its template, and the function giving its context.

    `roles` (console sections only): the village roles that see it; None for everyone
    who may read the console.
    """

    name: str
    order: int
    template: str
    context: str | ContextFunction
    roles: frozenset[str] | None = None

    def build(self, village: Village) -> dict:
        function = _resolve(self.context) if isinstance(self.context, str) else self.context
        return function(village)

    def visible_to(self, roles: Iterable[str]) -> bool:
        return self.roles is None or not self.roles.isdisjoint(roles)


@cache
def _resolve(reference: str) -> ContextFunction:
    return import_string(reference)


_HOME: dict[str, Section] = {}
_CONSOLE: dict[str, Section] = {}


def _add(sections: dict[str, Section], section: Section) -> Section:
    """Declare `section`; declaring the very same one again (a re-import) changes nothing."""
    existing = sections.get(section.name)
    if existing is not None and existing != section:
        raise ValueError(f"two sections are named {section.name!r}: {existing} and {section}")
    sections[section.name] = section
    return section


def home_section(
    name: str, *, order: int, template: str, context: str | ContextFunction
) -> Section:
    """Declare a section of the village home, shown to everyone who may read the home."""
    return _add(_HOME, Section(name, order, template, context))


def console_section(
    name: str,
    *,
    order: int,
    template: str,
    context: str | ContextFunction,
    roles: Iterable[str] | None = None,
) -> Section:
    """Declare tiles of the console home: `<li>` items of its tile list."""
    allowed = frozenset(str(role) for role in roles) if roles is not None else None
    return _add(_CONSOLE, Section(name, order, template, context, allowed))


def _in_order(sections: Iterable[Section]) -> list[Section]:
    return sorted(sections, key=lambda s: (s.order, s.name))


def home_sections() -> list[Section]:
    return _in_order(_HOME.values())


def console_sections(roles: Iterable[str]) -> list[Section]:
    """The console home's sections that someone holding `roles` in the village sees."""
    held = {str(role) for role in roles}
    return _in_order(s for s in _CONSOLE.values() if s.visible_to(held))


def gather(sections: Iterable[Section], village: Village) -> dict:
    """The context of every section, in one dict for the page's template."""
    context: dict = {}
    owner: dict[str, str] = {}
    for section in sections:
        for key, value in section.build(village).items():
            if key in owner:
                raise ValueError(f"sections {owner[key]!r} and {section.name!r} both give {key!r}")
            owner[key] = section.name
            context[key] = value
    return context
