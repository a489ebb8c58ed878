"""Search over a village's notices and rules."""
