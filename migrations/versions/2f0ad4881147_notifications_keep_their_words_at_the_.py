"""notifications keep their words at the source

Revision ID: 2f0ad4881147
Revises: f2b6d8e41a93
Create Date: 2026-12-03 18:10:00

A notification's title and body are kept as message ids with their
parameters (``words``), so the inbox shows them in the reader's language;
rows written before keep their Chinese text and show it as it is.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2f0ad4881147'
down_revision = 'f2b6d8e41a93'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('words', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('words')
