"""村务公开: the committee's notices to the village."""
