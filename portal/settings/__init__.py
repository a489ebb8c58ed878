"""Village settings: the choices a village's committee makes for itself, in one place.

Each feature declares its settings (`portal.settings.registry.register`) with a
default, a type and its bounds; the committee edits them on one page
(/v/<village>/manage/settings), each change with its action-log row; code reads a
village's value with `setting(village, key)`, the default where none was chosen.
"""

from portal import registry as sections

sections.console_section(
    "settings",
    order=90,
    template="settings/_console_section.html",
    context="portal.settings.registry:console_context",
)
