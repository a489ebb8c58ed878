"""村务公开: the committee's notices to the village."""

from portal import registry

registry.home_section(
    "notices",
    order=10,
    template="notices/_home_section.html",
    context="portal.notices.home:home_context",
)
registry.console_section(
    "notices",
    order=10,
    template="notices/_console_section.html",
    context="portal.notices.home:console_context",
)
