"""points paid for priced bookings and requests: a link from each to its charge transfer

Revision ID: a3c0d4c24a1f
Revises: a393dc158ba3
Create Date: 2026-11-23 16:14:01.478044

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3c0d4c24a1f'
down_revision = 'a393dc158ba3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('charge_transfer_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_bookings_charge_transfer_id_point_transfers'), 'point_transfers', ['charge_transfer_id'], ['id'])

    with op.batch_alter_table('service_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('charge_transfer_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_service_requests_charge_transfer_id_point_transfers'), 'point_transfers', ['charge_transfer_id'], ['id'])


def downgrade():
    with op.batch_alter_table('service_requests', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_service_requests_charge_transfer_id_point_transfers'), type_='foreignkey')
        batch_op.drop_column('charge_transfer_id')

    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_bookings_charge_transfer_id_point_transfers'), type_='foreignkey')
        batch_op.drop_column('charge_transfer_id')
