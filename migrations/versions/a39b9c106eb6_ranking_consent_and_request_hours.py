"""ranking consent (volunteers.show_in_rankings) and hours of resolved requests (service_logs.request_id)

Revision ID: a39b9c106eb6
Revises: a3c0d4c24a1f
Create Date: 2026-11-23 16:48:33.968280

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a39b9c106eb6'
down_revision = 'a3c0d4c24a1f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('service_logs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_service_logs_request_id'), ['request_id'])
        batch_op.create_foreign_key(batch_op.f('fk_service_logs_request_id_service_requests'), 'service_requests', ['request_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('volunteers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('show_in_rankings', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('volunteers', schema=None) as batch_op:
        batch_op.drop_column('show_in_rankings')

    with op.batch_alter_table('service_logs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_service_logs_request_id_service_requests'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_service_logs_request_id'), type_='unique')
        batch_op.drop_column('request_id')
