"""Village rules 村规民约: versions, consultation, the assembly vote, filing with the town."""

from portal import registry

# First on the village home: an open vote the reader can still cast.
registry.home_section(
    "ballots",
    order=0,
    template="rules/_home_ballots.html",
    context="portal.rules.home:ballot_context",
)
registry.home_section(
    "rules",
    order=20,
    template="rules/_home_section.html",
    context="portal.rules.home:home_context",
)
