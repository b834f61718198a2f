"""call-outs in waves: place name, radius, skills as a filter or a ranking, wave timing, who was in reach

Revision ID: c4e1a7f20b59
Revises: a39b9c106eb6
Create Date: 2026-12-03 17:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e1a7f20b59'
down_revision = 'a39b9c106eb6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('callouts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('place', sa.String(length=128), server_default='', nullable=False))
        batch_op.add_column(sa.Column('radius_m', sa.Integer(), server_default='3000', nullable=False))
        batch_op.add_column(sa.Column('skills_required', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('wave', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('next_wave_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reach', sa.JSON(), server_default='{}', nullable=False))

    with op.batch_alter_table('callout_invites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wave', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('outside_hours', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('over_weekly_hours', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('callout_invites', schema=None) as batch_op:
        batch_op.drop_column('over_weekly_hours')
        batch_op.drop_column('outside_hours')
        batch_op.drop_column('wave')

    with op.batch_alter_table('callouts', schema=None) as batch_op:
        batch_op.drop_column('reach')
        batch_op.drop_column('next_wave_at')
        batch_op.drop_column('wave')
        batch_op.drop_column('skills_required')
        batch_op.drop_column('radius_m')
        batch_op.drop_column('place')
