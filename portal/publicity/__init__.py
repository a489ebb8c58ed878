"""公示: the public-notice period of a decision, and the objections raised during it.

One mechanism for every kind of decision that is put up for the village to see before
it takes effect (a red/black board entry, a good-neighbour commendation, a points
entry): the feature opens a `Publicity` for its row, the period's phase is read from
the clock (no job), verified villagers object during it (one objection per person,
online or entered by a clerk from paper), and the committee answers every objection in
writing. See `portal.publicity.services`.
"""

from portal import registry

registry.console_section(
    "publicity",
    order=40,
    template="publicity/_console_section.html",
    context="portal.publicity.home:console_context",
)
