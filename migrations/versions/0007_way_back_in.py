"""reset codes, login sessions, the outcome seen, photo captions, disclosure coverage

Revision ID: 0007_way_back_in
Revises: 0006_roster_roll
Create Date: 2026-12-02 13:24:04.349314

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_way_back_in'
down_revision = '0006_roster_roll'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_login_session_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_login_session_token_hash'))
    )
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_session_user_id'), ['user_id'], unique=False)

    op.create_table('password_reset',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['issued_by_id'], ['user.id'], name=op.f('fk_password_reset_issued_by_id_user')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_password_reset_user_id_user')),
    sa.ForeignKeyConstraint(['village_id'], ['village.id'], name=op.f('fk_password_reset_village_id_village')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_password_reset_code_hash'))
    )
    with op.batch_alter_table('password_reset', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_reset_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_password_reset_village_id'), ['village_id'], unique=False)

    op.create_table('disclosure_coverage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['disclosure_item.id'], name=op.f('fk_disclosure_coverage_item_id_disclosure_item')),
    sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], name=op.f('fk_disclosure_coverage_notice_id_notice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_coverage')),
    sa.UniqueConstraint('notice_id', 'item_id', 'period_start', name=op.f('uq_disclosure_coverage_notice_id_item_id_period_start'))
    )
    with op.batch_alter_table('disclosure_coverage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disclosure_coverage_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disclosure_coverage_notice_id'), ['notice_id'], unique=False)

    with op.batch_alter_table('notice_attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('caption', sa.String(length=100), nullable=True))

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome_seen_at', sa.DateTime(timezone=True), nullable=True))
    # Those decided before the word existed are not told again now.
    op.execute("UPDATE \"user\" SET outcome_seen_at = created_at WHERE status <> 'pending'")



def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('outcome_seen_at')

    with op.batch_alter_table('notice_attachment', schema=None) as batch_op:
        batch_op.drop_column('caption')

    with op.batch_alter_table('disclosure_coverage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disclosure_coverage_notice_id'))
        batch_op.drop_index(batch_op.f('ix_disclosure_coverage_item_id'))

    op.drop_table('disclosure_coverage')
    with op.batch_alter_table('password_reset', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_reset_village_id'))
        batch_op.drop_index(batch_op.f('ix_password_reset_user_id'))

    op.drop_table('password_reset')
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_session_user_id'))

    op.drop_table('login_session')
