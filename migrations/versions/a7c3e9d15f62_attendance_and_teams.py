"""attendance (签到/签退 on duties, 到场 at booked events) and volunteer teams

Revision ID: a7c3e9d15f62
Revises: c4a9e2f7d315
Create Date: 2026-12-03 20:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9d15f62'
down_revision = 'c4a9e2f7d315'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'teams',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('leader_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_teams_community_id_communities')),
        sa.ForeignKeyConstraint(['leader_id'], ['volunteers.id'], name=op.f('fk_teams_leader_id_volunteers'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
        sa.UniqueConstraint('community_id', 'name', name=op.f('uq_teams_community_id_name')),
    )
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_teams_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_teams_leader_id'), ['leader_id'], unique=False)

    op.create_table(
        'team_members',
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('volunteer_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_team_members_team_id_teams'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_team_members_volunteer_id_volunteers'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('team_id', 'volunteer_id', name=op.f('pk_team_members')),
    )
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_members_volunteer_id'), ['volunteer_id'], unique=False)

    with op.batch_alter_table('callouts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('team_only', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f('ix_callouts_team_id'), ['team_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_callouts_team_id_teams'), 'teams', ['team_id'], ['id'],
                                    ondelete='SET NULL')

    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checked_in_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('checked_out_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attended_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('attended_at')

    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_column('checked_out_at')
        batch_op.drop_column('checked_in_at')

    with op.batch_alter_table('callouts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_callouts_team_id_teams'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_callouts_team_id'))
        batch_op.drop_column('team_only')
        batch_op.drop_column('team_id')

    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_members_volunteer_id'))
    op.drop_table('team_members')

    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_teams_leader_id'))
        batch_op.drop_index(batch_op.f('ix_teams_community_id'))
    op.drop_table('teams')
