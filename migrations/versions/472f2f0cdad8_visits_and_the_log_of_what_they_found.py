"""visits and the log of what they found

Revision ID: 472f2f0cdad8
Revises: 2f0ad4881147
Create Date: 2026-12-03 17:26:23.549162

Visits (走访) to households and buildings with what they found (民情日志), the needs they raised
(linked to the request or wish each became), and each community's visiting frequency per priority
group where it departs from the default.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '472f2f0cdad8'
down_revision = '2f0ad4881147'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('visit_frequencies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('group', sa.Enum('low_income', 'disabled', 'elderly_alone', 'childless_elderly', 'hardship', name='prioritygroup', native_enum=False, length=20), nullable=False),
    sa.Column('every_days', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_visit_frequencies_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_frequencies')),
    sa.UniqueConstraint('community_id', 'group', name=op.f('uq_visit_frequencies_community_id_group'))
    )
    with op.batch_alter_table('visit_frequencies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_frequencies_community_id'), ['community_id'], unique=False)

    op.create_table('visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.Column('visitor_id', sa.Integer(), nullable=True),
    sa.Column('visited_at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.Enum('routine', 'key_group', 'after_request', 'night', name='visitkind', native_enum=False, length=16), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_visits_building_id_buildings')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_visits_community_id_communities')),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_visits_grid_id_grids')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_visits_resident_id_residents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['visitor_id'], ['users.id'], name=op.f('fk_visits_visitor_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits'))
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visits_building_id'), ['building_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_grid_id'), ['grid_id'], unique=False)
        batch_op.create_index('ix_visits_resident_visited_at', ['resident_id', 'visited_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_visited_at'), ['visited_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_visitor_id'), ['visitor_id'], unique=False)

    op.create_table('visit_needs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('solved_on_spot', sa.Boolean(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('wish_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['service_requests.id'], name=op.f('fk_visit_needs_request_id_service_requests'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_needs_visit_id_visits'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['wish_id'], ['wishes.id'], name=op.f('fk_visit_needs_wish_id_wishes'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_needs')),
    sa.UniqueConstraint('request_id', name=op.f('uq_visit_needs_request_id')),
    sa.UniqueConstraint('wish_id', name=op.f('uq_visit_needs_wish_id'))
    )
    with op.batch_alter_table('visit_needs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_needs_visit_id'), ['visit_id'], unique=False)



def downgrade():
    with op.batch_alter_table('visit_needs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_needs_visit_id'))

    op.drop_table('visit_needs')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visits_visitor_id'))
        batch_op.drop_index(batch_op.f('ix_visits_visited_at'))
        batch_op.drop_index('ix_visits_resident_visited_at')
        batch_op.drop_index(batch_op.f('ix_visits_grid_id'))
        batch_op.drop_index(batch_op.f('ix_visits_community_id'))
        batch_op.drop_index(batch_op.f('ix_visits_building_id'))

    op.drop_table('visits')
    with op.batch_alter_table('visit_frequencies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_frequencies_community_id'))

    op.drop_table('visit_frequencies')
