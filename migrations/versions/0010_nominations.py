"""good-neighbour nominations

Revision ID: 0010_nominations
Revises: 0009_boards
Create Date: 2026-12-03 15:46:17.561186

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010_nominations"
down_revision = "0009_boards"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "nomination_category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("official", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["village_id"], ["village.id"], name=op.f("fk_nomination_category_village_id_village")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nomination_category")),
        sa.UniqueConstraint(
            "village_id", "name", name=op.f("uq_nomination_category_village_id_name")
        ),
    )
    with op.batch_alter_table("nomination_category", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_nomination_category_village_id"), ["village_id"], unique=False
        )

    op.create_table(
        "nomination",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("town_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "submitted",
                "notice",
                "commended",
                "rejected",
                "withdrawn",
                name="nominationstate",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("nominee_household_id", sa.Integer(), nullable=False),
        sa.Column("nominee_resident_id", sa.Integer(), nullable=True),
        sa.Column("nominator_resident_id", sa.Integer(), nullable=False),
        sa.Column("nominator_user_id", sa.Integer(), nullable=True),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("story", sa.String(length=2000), nullable=False),
        sa.Column("deed_on", sa.Date(), nullable=False),
        sa.Column("photo_stored_name", sa.String(length=64), nullable=True),
        sa.Column("photo_content_type", sa.String(length=50), nullable=True),
        sa.Column("photo_width", sa.Integer(), nullable=True),
        sa.Column("photo_height", sa.Integer(), nullable=True),
        sa.Column("photo_caption", sa.String(length=120), nullable=True),
        sa.Column("endorsement_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_by_id", sa.Integer(), nullable=True),
        sa.Column("notice_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.String(length=500), nullable=True),
        sa.Column("commended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("board_entry_id", sa.Integer(), nullable=True),
        sa.Column("forwarded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("forwarded_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "town_decision",
            sa.Enum("selected", "not_selected", name="towndecision", native_enum=False, length=20),
            nullable=True,
        ),
        sa.Column("town_decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("town_decided_by_id", sa.Integer(), nullable=True),
        sa.Column("town_note", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "forwarded_at IS NULL OR state = 'commended'",
            name=op.f("ck_nomination_forwarded_when_commended"),
        ),
        sa.CheckConstraint(
            "state <> 'rejected' OR decision_reason IS NOT NULL",
            name=op.f("ck_nomination_rejected_with_reason"),
        ),
        sa.CheckConstraint(
            "endorsement_count >= 0", name=op.f("ck_nomination_endorsements_not_negative")
        ),
        sa.CheckConstraint(
            "nominator_user_id IS NOT NULL OR entered_by_id IS NOT NULL",
            name=op.f("ck_nomination_made_by_someone"),
        ),
        sa.ForeignKeyConstraint(
            ["accepted_by_id"], ["user.id"], name=op.f("fk_nomination_accepted_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["board_entry_id"],
            ["board_entry.id"],
            name=op.f("fk_nomination_board_entry_id_board_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["nomination_category.id"],
            name=op.f("fk_nomination_category_id_nomination_category"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["user.id"], name=op.f("fk_nomination_decided_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"], ["user.id"], name=op.f("fk_nomination_entered_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["forwarded_by_id"], ["user.id"], name=op.f("fk_nomination_forwarded_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["nominator_resident_id"],
            ["resident.id"],
            name=op.f("fk_nomination_nominator_resident_id_resident"),
        ),
        sa.ForeignKeyConstraint(
            ["nominator_user_id"], ["user.id"], name=op.f("fk_nomination_nominator_user_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["nominee_household_id"],
            ["household.id"],
            name=op.f("fk_nomination_nominee_household_id_household"),
        ),
        sa.ForeignKeyConstraint(
            ["nominee_resident_id"],
            ["resident.id"],
            name=op.f("fk_nomination_nominee_resident_id_resident"),
        ),
        sa.ForeignKeyConstraint(
            ["town_decided_by_id"], ["user.id"], name=op.f("fk_nomination_town_decided_by_id_user")
        ),
        sa.ForeignKeyConstraint(["town_id"], ["town.id"], name=op.f("fk_nomination_town_id_town")),
        sa.ForeignKeyConstraint(
            ["village_id"], ["village.id"], name=op.f("fk_nomination_village_id_village")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nomination")),
        sa.UniqueConstraint("photo_stored_name", name=op.f("uq_nomination_photo_stored_name")),
    )
    with op.batch_alter_table("nomination", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_nomination_category_id"), ["category_id"], unique=False
        )
        batch_op.create_index(
            "ix_nomination_nominator_state", ["nominator_resident_id", "state"], unique=False
        )
        batch_op.create_index("ix_nomination_nominee", ["nominee_household_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_nomination_nominee_resident_id"), ["nominee_resident_id"], unique=False
        )
        batch_op.create_index(
            "ix_nomination_town_forwarded", ["town_id", "forwarded_at"], unique=False
        )
        batch_op.create_index("ix_nomination_village_state", ["village_id", "state"], unique=False)

    op.create_table(
        "endorsement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nomination_id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "user_id IS NOT NULL OR entered_by_id IS NOT NULL",
            name=op.f("ck_endorsement_made_by_someone"),
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"], ["user.id"], name=op.f("fk_endorsement_entered_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["nomination_id"],
            ["nomination.id"],
            name=op.f("fk_endorsement_nomination_id_nomination"),
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["resident.id"], name=op.f("fk_endorsement_resident_id_resident")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_endorsement_user_id_user")),
        sa.ForeignKeyConstraint(
            ["village_id"], ["village.id"], name=op.f("fk_endorsement_village_id_village")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_endorsement")),
        sa.UniqueConstraint(
            "nomination_id", "resident_id", name=op.f("uq_endorsement_nomination_id_resident_id")
        ),
    )
    with op.batch_alter_table("endorsement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_endorsement_resident_id"), ["resident_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("endorsement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_endorsement_resident_id"))

    op.drop_table("endorsement")
    with op.batch_alter_table("nomination", schema=None) as batch_op:
        batch_op.drop_index("ix_nomination_village_state")
        batch_op.drop_index("ix_nomination_town_forwarded")
        batch_op.drop_index(batch_op.f("ix_nomination_nominee_resident_id"))
        batch_op.drop_index("ix_nomination_nominee")
        batch_op.drop_index("ix_nomination_nominator_state")
        batch_op.drop_index(batch_op.f("ix_nomination_category_id"))

    op.drop_table("nomination")
    with op.batch_alter_table("nomination_category", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nomination_category_village_id"))

    op.drop_table("nomination_category")
