"""service-record certificates

Revision ID: c4a9e2f7d315
Revises: c4d9e7a15b82
Create Date: 2026-12-03 20:45:00

志愿服务记录证明: who issues each community's certificates (and the counter of their numbers), and the
certificates themselves, applied for, issued with their facts frozen, revoked and corrected.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4a9e2f7d315'
down_revision = 'c4d9e7a15b82'
branch_labels = None
depends_on = None

def stamps() -> list:
    """The created/updated/version columns of a versioned model (fresh for each table)."""
    return [sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
            sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
            sa.Column('version', sa.Integer(), nullable=False)]


def upgrade():
    op.create_table(
        'certificate_issuers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('person_in_charge', sa.String(length=32), nullable=False),
        sa.Column('contact', sa.String(length=64), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('last_sequence', sa.Integer(), nullable=False),
        *stamps(),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('community_id'),
        sa.UniqueConstraint('prefix'),
    )
    op.create_table(
        'certificates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('volunteer_id', sa.Integer(), nullable=True),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('purpose', sa.String(length=100), nullable=False),
        sa.Column('state', sa.Enum('applied', 'accepted', 'issued', 'rejected', 'revoked', name='certificatestate',
                                   native_enum=False, length=10), nullable=False),
        sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('rejection_reason', sa.String(length=200), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=True),
        sa.Column('number', sa.String(length=40), nullable=True),
        sa.Column('issued_on', sa.Date(), nullable=True),
        sa.Column('handler_id', sa.Integer(), nullable=True),
        sa.Column('facts', sa.JSON(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_by_id', sa.Integer(), nullable=True),
        sa.Column('revoke_reason', sa.String(length=200), nullable=False),
        sa.Column('replaced_by_id', sa.Integer(), nullable=True),
        *stamps(),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id']),
        sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['handler_id'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['replaced_by_id'], ['certificates.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('community_id', 'sequence'),
        sa.UniqueConstraint('number'),
    )
    op.create_index('ix_certificates_community_id', 'certificates', ['community_id'])
    op.create_index('ix_certificates_volunteer_id', 'certificates', ['volunteer_id'])
    op.create_index('ix_certificates_state', 'certificates', ['state'])


def downgrade():
    op.drop_index('ix_certificates_state', table_name='certificates')
    op.drop_index('ix_certificates_volunteer_id', table_name='certificates')
    op.drop_index('ix_certificates_community_id', table_name='certificates')
    op.drop_table('certificates')
    op.drop_table('certificate_issuers')
