"""session generation: logout and a new password end every session of the user

Revision ID: f2b6d8e41a93
Revises: e5a8c3f14b27
Create Date: 2026-12-04 10:00:00

Sessions carry the user's id with ``users.session_generation``; raising it ends every
session (and remember cookie) issued before, copies of the cookie included.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f2b6d8e41a93'
down_revision = 'e5a8c3f14b27'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
