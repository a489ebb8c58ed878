"""Appeals 申诉 against board entries (being written)."""


def appeal_context(entry, user) -> dict:
    return {}
