"""points and the points shop

Revision ID: 0011_points
Revises: 0010_nominations
Create Date: 2026-12-04 01:08:30.909305

"""

from alembic import op
import sqlalchemy as sa

from portal.dbtriggers import append_only, drop_append_only


# revision identifiers, used by Alembic.
revision = "0011_points"
down_revision = "0010_nominations"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "point_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("rule_article", sa.String(length=120), nullable=True),
        sa.Column("cap", sa.Integer(), nullable=True),
        sa.Column(
            "cap_period",
            sa.Enum("month", "year", name="capperiod", native_enum=False, length=10),
            nullable=True,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "cap IS NULL OR (cap > 0 AND cap_period IS NOT NULL)",
            name=op.f("ck_point_item_cap_with_period"),
        ),
        sa.CheckConstraint(
            "points <> 0 AND points BETWEEN -1000 AND 1000", name=op.f("ck_point_item_points_range")
        ),
        sa.ForeignKeyConstraint(
            ["village_id"], ["village.id"], name=op.f("fk_point_item_village_id_village")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_item")),
        sa.UniqueConstraint("village_id", "code", name=op.f("uq_point_item_village_id_code")),
    )
    with op.batch_alter_table("point_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_point_item_village_id"), ["village_id"], unique=False)

    op.create_table(
        "reward",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=True),
        sa.Column("cost", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("cost > 0 AND cost <= 100000", name=op.f("ck_reward_cost_range")),
        sa.CheckConstraint(
            "stock >= 0 AND stock <= 100000", name=op.f("ck_reward_stock_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["village_id"], ["village.id"], name=op.f("fk_reward_village_id_village")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reward")),
        sa.UniqueConstraint("village_id", "name", name=op.f("uq_reward_village_id_name")),
    )
    with op.batch_alter_table("reward", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reward_village_id"), ["village_id"], unique=False)

    op.create_table(
        "points_account",
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("balance >= 0", name=op.f("ck_points_account_balance_not_negative")),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_points_account_household_id_household"),
        ),
        sa.ForeignKeyConstraint(
            ["village_id"], ["village.id"], name=op.f("fk_points_account_village_id_village")
        ),
        sa.PrimaryKeyConstraint("household_id", name=op.f("pk_points_account")),
    )
    with op.batch_alter_table("points_account", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_points_account_village_id"), ["village_id"], unique=False
        )

    op.create_table(
        "points_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column(
            "channel",
            sa.Enum(
                "grid",
                "committee",
                "declared",
                "paper",
                name="channel",
                native_enum=False,
                length=10,
            ),
            nullable=False,
        ),
        sa.Column(
            "watch",
            sa.Enum("cadre", "recorder", name="watch", native_enum=False, length=10),
            nullable=True,
        ),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "approved",
                "final",
                "rejected",
                name="entrystate",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("declared_by_resident_id", sa.Integer(), nullable=True),
        sa.Column("photo_stored_name", sa.String(length=64), nullable=True),
        sa.Column("photo_content_type", sa.String(length=50), nullable=True),
        sa.Column("photo_width", sa.Integer(), nullable=True),
        sa.Column("photo_height", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decider_household_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("final_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state <> 'rejected' OR reason IS NOT NULL",
            name=op.f("ck_points_entry_rejected_with_reason"),
        ),
        sa.CheckConstraint(
            "state = 'pending' OR (decided_by_id IS NOT NULL AND decided_at IS NOT NULL)",
            name=op.f("ck_points_entry_decided_by_someone"),
        ),
        sa.CheckConstraint(
            "state NOT IN ('approved', 'final') OR decider_household_id IS NOT NULL",
            name=op.f("ck_points_entry_approver_household_known"),
        ),
        sa.CheckConstraint(
            "decided_by_id IS NULL OR decided_by_id <> recorded_by_id",
            name=op.f("ck_points_entry_not_by_recorder"),
        ),
        sa.CheckConstraint(
            "decider_household_id IS NULL OR decider_household_id <> household_id",
            name=op.f("ck_points_entry_not_by_own_household"),
        ),
        sa.CheckConstraint(
            "points <> 0 AND points BETWEEN -1000 AND 1000",
            name=op.f("ck_points_entry_points_range"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["user.id"], name=op.f("fk_points_entry_decided_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["decider_household_id"],
            ["household.id"],
            name=op.f("fk_points_entry_decider_household_id_household"),
        ),
        sa.ForeignKeyConstraint(
            ["declared_by_resident_id"],
            ["resident.id"],
            name=op.f("fk_points_entry_declared_by_resident_id_resident"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_points_entry_household_id_household")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["point_item.id"], name=op.f("fk_points_entry_item_id_point_item")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["user.id"], name=op.f("fk_points_entry_recorded_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["village_id"], ["village.id"], name=op.f("fk_points_entry_village_id_village")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_entry")),
        sa.UniqueConstraint("photo_stored_name", name=op.f("uq_points_entry_photo_stored_name")),
    )
    with op.batch_alter_table("points_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_points_entry_cap", ["household_id", "item_id", "occurred_on"], unique=False
        )
        batch_op.create_index("ix_points_entry_household", ["household_id", "id"], unique=False)
        batch_op.create_index(
            "ix_points_entry_village_state", ["village_id", "state", "id"], unique=False
        )
        batch_op.create_index("ix_points_entry_watch", ["village_id", "watch", "id"], unique=False)

    op.create_table(
        "points_book",
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("open_year", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["village_id"], ["village.id"], name=op.f("fk_points_book_village_id_village")
        ),
        sa.PrimaryKeyConstraint("village_id", name=op.f("pk_points_book")),
    )
    op.create_table(
        "year_end",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "mode",
            sa.Enum("carry", "reset", name="yearendmode", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("points_closed", sa.Integer(), nullable=False),
        sa.Column("done_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["done_by_id"], ["user.id"], name=op.f("fk_year_end_done_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["village_id"], ["village.id"], name=op.f("fk_year_end_village_id_village")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_year_end")),
        sa.UniqueConstraint("village_id", "year", name=op.f("uq_year_end_village_id_year")),
    )
    op.create_table(
        "points_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "award",
                "redemption",
                "reversal",
                "closing",
                "opening",
                name="ledgerkind",
                native_enum=False,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("balance_after", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("reward_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'award') = (entry_id IS NOT NULL)",
            name=op.f("ck_points_ledger_award_has_entry"),
        ),
        sa.CheckConstraint(
            "(kind = 'redemption') = (reward_id IS NOT NULL AND quantity IS NOT NULL AND quantity > 0)",
            name=op.f("ck_points_ledger_redemption_has_reward"),
        ),
        sa.CheckConstraint(
            "(kind = 'reversal') = (reverses_id IS NOT NULL)",
            name=op.f("ck_points_ledger_reversal_has_original"),
        ),
        sa.CheckConstraint(
            "kind <> 'redemption' OR points < 0", name=op.f("ck_points_ledger_redemption_takes")
        ),
        sa.CheckConstraint(
            "balance_after >= 0", name=op.f("ck_points_ledger_balance_after_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user.id"], name=op.f("fk_points_ledger_actor_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["points_entry.id"], name=op.f("fk_points_ledger_entry_id_points_entry")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_points_ledger_household_id_household")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["points_ledger.id"],
            name=op.f("fk_points_ledger_reverses_id_points_ledger"),
        ),
        sa.ForeignKeyConstraint(
            ["reward_id"], ["reward.id"], name=op.f("fk_points_ledger_reward_id_reward")
        ),
        sa.ForeignKeyConstraint(
            ["village_id"], ["village.id"], name=op.f("fk_points_ledger_village_id_village")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_ledger")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_points_ledger_entry_id")),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_points_ledger_reverses_id")),
    )
    with op.batch_alter_table("points_ledger", schema=None) as batch_op:
        batch_op.create_index("ix_points_ledger_household", ["household_id", "id"], unique=False)
        batch_op.create_index("ix_points_ledger_village", ["village_id", "id"], unique=False)
        batch_op.create_index(
            "ix_points_ledger_village_kind", ["village_id", "kind", "id"], unique=False
        )
    append_only(op, "points_ledger")


def downgrade():
    drop_append_only(op, "points_ledger")
    with op.batch_alter_table("points_ledger", schema=None) as batch_op:
        batch_op.drop_index("ix_points_ledger_village_kind")
        batch_op.drop_index("ix_points_ledger_village")
        batch_op.drop_index("ix_points_ledger_household")

    op.drop_table("points_ledger")
    op.drop_table("year_end")
    op.drop_table("points_book")
    with op.batch_alter_table("points_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_points_entry_watch")
        batch_op.drop_index("ix_points_entry_village_state")
        batch_op.drop_index("ix_points_entry_household")
        batch_op.drop_index("ix_points_entry_cap")

    op.drop_table("points_entry")
    with op.batch_alter_table("points_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_points_account_village_id"))

    op.drop_table("points_account")
    with op.batch_alter_table("reward", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reward_village_id"))

    op.drop_table("reward")
    with op.batch_alter_table("point_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_point_item_village_id"))

    op.drop_table("point_item")
