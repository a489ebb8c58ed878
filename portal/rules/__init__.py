"""Village rules 村规民约: versions, consultation, the assembly vote, filing with the town."""
