"""Append-only tables, held by the database itself (SECURITY.md rows 3 and 15).

A table made append-only refuses every UPDATE and DELETE, whoever sends it: the portal,
a shell, a script with the database password. Corrections are new rows (a reversing
ledger entry, a later log row), never edits.

Migrations call these with their `op`:

    from portal.dbtriggers import append_only, drop_append_only

    def upgrade():
        op.create_table("points_entry", ...)
        append_only(op, "points_entry")

    def downgrade():
        drop_append_only(op, "points_entry")
        op.drop_table("points_entry")

The trigger names and SQL are part of the schema that existing databases hold: on
PostgreSQL one trigger `<table>_append_only` calling the shared function
`refuse_change()`; on SQLite two triggers, `<table>_no_update` and `<table>_no_delete`.
Change them only with a migration that replaces them.
"""

from __future__ import annotations

from typing import Any

_REFUSE_CHANGE = """
            CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
            END;
            $$ LANGUAGE plpgsql
            """

_DROP_UNUSED_REFUSE_CHANGE = """
            DO $$
            BEGIN
                IF to_regprocedure('refuse_change()') IS NOT NULL AND NOT EXISTS (
                    SELECT 1 FROM pg_trigger WHERE tgfoid = to_regprocedure('refuse_change()')
                ) THEN
                    DROP FUNCTION refuse_change();
                END IF;
            END
            $$
            """


def append_only(op: Any, table: str) -> None:
    """Refuse UPDATE and DELETE on `table` in the database itself."""
    if op.get_bind().dialect.name == "postgresql":
        # CREATE OR REPLACE: every append-only table shares the one function.
        op.execute(_REFUSE_CHANGE)
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_change()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )


def drop_append_only(op: Any, table: str) -> None:
    """Undo `append_only(op, table)`.

    On PostgreSQL the shared `refuse_change()` function goes with the last trigger that
    calls it, so a later migration's downgrade leaves the earlier tables' triggers whole.
    """
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(_DROP_UNUSED_REFUSE_CHANGE)
    else:
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{event}")
