"""texts the app writes keep their words

Revision ID: b8e2d5c71f46
Revises: 555138e60313
Create Date: 2026-12-04 10:00:00

Memos, reasons and places that the app writes itself (a refund's memo, an earning's
memo, a booking cancelled for want of points, a call-out's "near the station") keep
their message ids and parameters in ``<column>_words`` and are shown in the reader's
language; text a person typed stays in the plain column only. The roster versions'
notes that were codes ("repair", "swap_approved") or English become such words. A
community's accounts are named by the community alone: pages add what the account is
(pool, issuance …).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8e2d5c71f46'
down_revision = '555138e60313'
branch_labels = None
depends_on = None

WORDED = (
    ('point_transfers', 'memo_words'),
    ('point_earnings', 'reason_words'),
    ('bookings', 'cancel_reason_words'),
    ('request_events', 'reason_words'),
    ('follow_ups', 'reason_words'),
    ('callouts', 'place_words'),
    ('roster_versions', 'note_words'),
)
#: The notes the app used to write on a published version: its words, and the Chinese the plain column files.
VERSION_NOTES = {
    'repair': ('Re-planned automatically after a decline', '有志愿者不能参加,系统自动重排'),
    'swap_approved': ('Swap approved', '换班已批准'),
    'published from the command line': ('Published from the command line', '从命令行发布'),
}
VERSIONS = sa.table('roster_versions', sa.column('note', sa.String), sa.column('note_words', sa.JSON))
COMMUNITY_ACCOUNTS = "('community_pool', 'holding', 'issuance')"


def upgrade():
    for table, column in WORDED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, sa.JSON(), nullable=True))
    op.execute("UPDATE point_accounts SET name = (SELECT communities.name FROM communities "
               "WHERE communities.id = point_accounts.community_id) "
               f"WHERE kind IN {COMMUNITY_ACCOUNTS}")
    for code, (msgid, chinese) in VERSION_NOTES.items():
        op.execute(VERSIONS.update().where(VERSIONS.c.note == code)
                   .values(note=chinese, note_words={"msgid": msgid, "params": {}}))


def downgrade():
    for code, (_msgid, chinese) in VERSION_NOTES.items():
        op.execute(VERSIONS.update().where(VERSIONS.c.note == chinese, VERSIONS.c.note_words.isnot(None))
                   .values(note=code))
    for table, column in reversed(WORDED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)
