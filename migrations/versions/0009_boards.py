"""red and black boards

Revision ID: 0009_boards
Revises: 0008_publicity_settings
Create Date: 2026-12-03 14:46:58.882994

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009_boards"
down_revision = "0008_publicity_settings"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "board_category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column(
            "board",
            sa.Enum("red", "black", name="board", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["rule_article.id"],
            name=op.f("fk_board_category_article_id_rule_article"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_board_category_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["village_id"], ["village.id"], name=op.f("fk_board_category_village_id_village")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_category")),
        sa.UniqueConstraint(
            "village_id", "board", "name", name=op.f("uq_board_category_village_id_board_name")
        ),
    )
    with op.batch_alter_table("board_category", schema=None) as batch_op:
        batch_op.create_index(
            "ix_board_category_village_board", ["village_id", "board"], unique=False
        )

    op.create_table(
        "board_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column(
            "board",
            sa.Enum("red", "black", name="board", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "warned",
                "put_right",
                "declined",
                "notice",
                "published",
                "expired",
                "withdrawn",
                name="entrystate",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("photo_stored_name", sa.String(length=64), nullable=True),
        sa.Column("photo_content_type", sa.String(length=50), nullable=True),
        sa.Column("photo_width", sa.Integer(), nullable=True),
        sa.Column("photo_height", sa.Integer(), nullable=True),
        sa.Column("photo_caption", sa.String(length=120), nullable=True),
        sa.Column("warned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("warning_deadline", sa.Date(), nullable=True),
        sa.Column("put_right_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("put_right_by_id", sa.Integer(), nullable=True),
        sa.Column("put_right_note", sa.String(length=500), nullable=True),
        sa.Column("meeting_on", sa.Date(), nullable=True),
        sa.Column("meeting_attendees", sa.String(length=300), nullable=True),
        sa.Column("meeting_votes_for", sa.Integer(), nullable=True),
        sa.Column("meeting_votes_against", sa.Integer(), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("declined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("declined_by_id", sa.Integer(), nullable=True),
        sa.Column("decline_reason", sa.String(length=500), nullable=True),
        sa.Column("consented_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consent_recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("notice_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_reason", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "board <> 'black' OR consented_at IS NULL", name=op.f("ck_board_entry_black_never_named")
        ),
        sa.CheckConstraint(
            "board <> 'black' OR state NOT IN ('notice', 'published', 'expired') OR (approved_by_id IS NOT NULL AND meeting_on IS NOT NULL)",
            name=op.f("ck_board_entry_black_decided"),
        ),
        sa.CheckConstraint(
            "board <> 'black' OR warning_deadline IS NOT NULL",
            name=op.f("ck_board_entry_black_warned"),
        ),
        sa.CheckConstraint(
            "approved_by_id IS NULL OR approved_by_id <> created_by_id",
            name=op.f("ck_board_entry_second_member"),
        ),
        sa.CheckConstraint(
            "consented_at IS NULL OR (resident_id IS NOT NULL AND consent_recorded_by_id IS NOT NULL)",
            name=op.f("ck_board_entry_consent_recorded"),
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"], ["user.id"], name=op.f("fk_board_entry_approved_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["article_id"], ["rule_article.id"], name=op.f("fk_board_entry_article_id_rule_article")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["board_category.id"],
            name=op.f("fk_board_entry_category_id_board_category"),
        ),
        sa.ForeignKeyConstraint(
            ["consent_recorded_by_id"],
            ["user.id"],
            name=op.f("fk_board_entry_consent_recorded_by_id_user"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_board_entry_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["declined_by_id"], ["user.id"], name=op.f("fk_board_entry_declined_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_board_entry_household_id_household")
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["user.id"], name=op.f("fk_board_entry_published_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["put_right_by_id"], ["user.id"], name=op.f("fk_board_entry_put_right_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["resident.id"], name=op.f("fk_board_entry_resident_id_resident")
        ),
        sa.ForeignKeyConstraint(
            ["village_id"], ["village.id"], name=op.f("fk_board_entry_village_id_village")
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"], ["user.id"], name=op.f("fk_board_entry_withdrawn_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_entry")),
        sa.UniqueConstraint("photo_stored_name", name=op.f("uq_board_entry_photo_stored_name")),
    )
    with op.batch_alter_table("board_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_board_entry_category_id"), ["category_id"], unique=False
        )
        batch_op.create_index("ix_board_entry_household", ["household_id"], unique=False)
        batch_op.create_index(
            "ix_board_entry_village_board_state", ["village_id", "board", "state"], unique=False
        )

    op.create_table(
        "board_appeal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("town_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("appeal", "withdrawal", name="appealkind", native_enum=False, length=12),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "upheld",
                "dismissed",
                "town_review",
                "town_upheld",
                "town_confirmed",
                name="appealstate",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.String(length=1000), nullable=True),
        sa.Column("town_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("town_requested_by_id", sa.Integer(), nullable=True),
        sa.Column("town_request_reason", sa.String(length=1000), nullable=True),
        sa.Column("town_decided_by_id", sa.Integer(), nullable=True),
        sa.Column("town_decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("town_reason", sa.String(length=1000), nullable=True),
        sa.CheckConstraint(
            "state NOT IN ('upheld', 'dismissed', 'town_review', 'town_upheld', 'town_confirmed') OR (decided_by_id IS NOT NULL AND decision_reason IS NOT NULL)",
            name=op.f("ck_board_appeal_decided_in_writing"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["user.id"], name=op.f("fk_board_appeal_decided_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"], ["user.id"], name=op.f("fk_board_appeal_entered_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["board_entry.id"], name=op.f("fk_board_appeal_entry_id_board_entry")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["resident.id"], name=op.f("fk_board_appeal_resident_id_resident")
        ),
        sa.ForeignKeyConstraint(
            ["town_decided_by_id"],
            ["user.id"],
            name=op.f("fk_board_appeal_town_decided_by_id_user"),
        ),
        sa.ForeignKeyConstraint(
            ["town_id"], ["town.id"], name=op.f("fk_board_appeal_town_id_town")
        ),
        sa.ForeignKeyConstraint(
            ["town_requested_by_id"],
            ["user.id"],
            name=op.f("fk_board_appeal_town_requested_by_id_user"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_board_appeal_user_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["village_id"], ["village.id"], name=op.f("fk_board_appeal_village_id_village")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_appeal")),
    )
    with op.batch_alter_table("board_appeal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_board_appeal_entry_id"), ["entry_id"], unique=False)
        batch_op.create_index("ix_board_appeal_town_state", ["town_id", "state"], unique=False)
        batch_op.create_index(
            "ix_board_appeal_village_state", ["village_id", "state"], unique=False
        )


def downgrade():
    with op.batch_alter_table("board_appeal", schema=None) as batch_op:
        batch_op.drop_index("ix_board_appeal_village_state")
        batch_op.drop_index("ix_board_appeal_town_state")
        batch_op.drop_index(batch_op.f("ix_board_appeal_entry_id"))

    op.drop_table("board_appeal")
    with op.batch_alter_table("board_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_board_entry_village_board_state")
        batch_op.drop_index("ix_board_entry_household")
        batch_op.drop_index(batch_op.f("ix_board_entry_category_id"))

    op.drop_table("board_entry")
    with op.batch_alter_table("board_category", schema=None) as batch_op:
        batch_op.drop_index("ix_board_category_village_board")

    op.drop_table("board_category")
