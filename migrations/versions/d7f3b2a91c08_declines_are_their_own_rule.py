"""a volunteer's decline is its own kind of pair rule (pair_rules.kind = 'declined'), not a coordinator's ban

Revision ID: d7f3b2a91c08
Revises: c4e1a7f20b59
Create Date: 2026-12-03 10:40:00

Declines used to be stored as bans whose reason began with "declined: ", which
a coordinator could lift like any ban. They become rules only a recorded
re-ask lifts; the reason keeps the volunteer's own words.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7f3b2a91c08'
down_revision = 'c4e1a7f20b59'
branch_labels = None
depends_on = None

PREFIX = "declined: "


def upgrade():
    op.execute(sa.text(
        "UPDATE pair_rules SET kind = 'declined', reason = substr(reason, :start) "
        "WHERE kind = 'forbidden' AND substr(reason, 1, :length) = :prefix"
    ).bindparams(start=len(PREFIX) + 1, length=len(PREFIX), prefix=PREFIX))


def downgrade():
    op.execute(sa.text(
        "UPDATE pair_rules SET kind = 'forbidden', reason = substr(:prefix || reason, 1, 200) WHERE kind = 'declined'"
    ).bindparams(prefix=PREFIX))
