"""the roll is the roster: birth dates, departures, the year rule's count

Revision ID: 0006_roster_roll
Revises: 0005_notice_extras
Create Date: 2026-12-02 07:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0006_roster_roll"
down_revision = "0005_notice_extras"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("resident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("birth_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("left_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "left_reason",
                sa.Enum("moved", "died", name="departurereason", native_enum=False, length=10),
                nullable=True,
            )
        )
    with op.batch_alter_table("rule_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("roll_year_rule_left_out", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("rule_version", schema=None) as batch_op:
        batch_op.drop_column("roll_year_rule_left_out")
    with op.batch_alter_table("resident", schema=None) as batch_op:
        batch_op.drop_column("left_reason")
        batch_op.drop_column("left_on")
        batch_op.drop_column("birth_date")
