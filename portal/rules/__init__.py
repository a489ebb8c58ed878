"""Village rules 村规民约: versions, consultation, the assembly vote, filing with the town."""

from portal import registry

registry.home_section(
    "rules",
    order=20,
    template="rules/_home_section.html",
    context="portal.rules.home:home_context",
)
