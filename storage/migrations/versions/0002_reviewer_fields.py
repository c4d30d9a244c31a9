"""decisions.identity_fields: the fields a reviewer confirmed or corrected (source `reviewer`)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 14:30:00.000000
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identity_fields', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()),
                                                                                'postgresql'), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_column('identity_fields')
