"""notification channels: outbox rows per channel with retries, group webhooks, each person's channels

Revision ID: e5a8c3f14b27
Revises: d7f3b2a91c08
Create Date: 2026-12-03 14:00:00

Each outbox row now records its channel's attempts, last error, when to try
again and when it was delivered (``sent_at`` becomes ``delivered_at``); the
企业微信 group robots of communities and grids get their own table; users
choose their channels and may give an e-mail address.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5a8c3f14b27'
down_revision = 'd7f3b2a91c08'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('group_webhooks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('url', sa.String(length=300), nullable=False),
    sa.Column('label', sa.String(length=64), nullable=False),
    sa.Column('broken_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_group_webhooks_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_group_webhooks_grid_id_grids'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_webhooks'))
    )
    with op.batch_alter_table('group_webhooks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_webhooks_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_webhooks_grid_id'), ['grid_id'], unique=False)

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notification_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('community_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('grid_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('kind', sa.String(length=24), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('link', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column('last_error', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('sent_at', new_column_name='delivered_at', existing_type=sa.DateTime(timezone=True),
                              existing_nullable=True)
        batch_op.alter_column('recipient', existing_type=sa.VARCHAR(length=64), type_=sa.String(length=254),
                              existing_nullable=False)
        batch_op.create_index('ix_outbox_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_messages_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_messages_notification_id'), ['notification_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_messages_notification_id_notifications'), 'notifications',
                                    ['notification_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:  # defaults were for existing rows only
        batch_op.create_index('ix_outbox_recipient_sent', ['channel', 'recipient', 'delivered_at'], unique=False)
        for name in ('kind', 'link', 'params', 'last_error'):
            batch_op.alter_column(name, server_default=None)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notify_channels', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email')
        batch_op.drop_column('notify_channels')

    op.execute("UPDATE outbox_messages SET recipient = substr(recipient, 1, 64)")
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_messages_notification_id_notifications'), type_='foreignkey')
        batch_op.drop_index('ix_outbox_recipient_sent')
        batch_op.drop_index(batch_op.f('ix_outbox_messages_notification_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_messages_community_id'))
        batch_op.drop_index('ix_outbox_due')
        batch_op.alter_column('recipient', existing_type=sa.String(length=254), type_=sa.VARCHAR(length=64),
                              existing_nullable=False)
        batch_op.alter_column('delivered_at', new_column_name='sent_at', existing_type=sa.DateTime(timezone=True),
                              existing_nullable=True)
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('last_error')
        batch_op.drop_column('params')
        batch_op.drop_column('link')
        batch_op.drop_column('kind')
        batch_op.drop_column('grid_id')
        batch_op.drop_column('community_id')
        batch_op.drop_column('notification_id')

    with op.batch_alter_table('group_webhooks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_webhooks_grid_id'))
        batch_op.drop_index(batch_op.f('ix_group_webhooks_community_id'))

    op.drop_table('group_webhooks')
