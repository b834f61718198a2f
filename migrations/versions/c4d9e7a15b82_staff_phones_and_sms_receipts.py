"""staff phones and SMS delivery receipts

Revision ID: c4d9e7a15b82
Revises: b8e2d5c71f46
Create Date: 2026-12-04 12:00:00

Staff accounts (admins, coordinators, grid workers) have no volunteer or resident record: ``users.phone`` is
the mobile number SMS reaches them on (residents' and volunteers' numbers stay on their records). An SMS in
the outbox keeps the provider's ``SerialNo`` and, once Tencent Cloud reports it, the delivery receipt: the
final status (delivered / failed), the operator's text and when the phone received it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4d9e7a15b82'
down_revision = 'b8e2d5c71f46'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=11), nullable=True))
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('serial_no', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('receipt', sa.String(length=9), nullable=True))
        batch_op.add_column(sa.Column('receipt_text', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('receipt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_outbox_messages_serial_no', ['serial_no'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_serial_no')
        batch_op.drop_column('receipt_at')
        batch_op.drop_column('receipt_text')
        batch_op.drop_column('receipt')
        batch_op.drop_column('serial_no')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('phone')
