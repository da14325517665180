"""audit hash chain: prev_hash and hash on every audit entry, existing ones chained

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 08:30:00.000000
"""

import json
from collections.abc import Sequence
from datetime import UTC
from hashlib import sha256

import sqlalchemy as sa
from alembic import op

import db.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
BATCH = 1000

audit_log = sa.table(
    "audit_log",
    sa.column("id", sa.Integer()),
    sa.column("at", db.base.UTCDateTime()),
    sa.column("actor_id", sa.Integer()),
    sa.column("action", sa.String()),
    sa.column("object_type", sa.String()),
    sa.column("object_id", sa.String()),
    sa.column("outcome", sa.String()),
    sa.column("details", sa.JSON()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)


def entry_hash(prev_hash: str, row: sa.Row) -> str:
    """The canonical hash as of this revision (bot/services/audit_chain.py, frozen here)."""
    content = {
        "prev_hash": prev_hash,
        "at": row.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": row.actor_id,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "outcome": str(row.outcome),
        "details": json.loads(json.dumps(row.details if row.details is not None else {})),
    }
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return sha256(text.encode()).hexdigest()


def chain_existing_entries() -> None:
    """Link the entries written so far, in id order, so that verify passes at once."""
    connection = op.get_bind()
    prev_hash, after_id = GENESIS, 0
    while rows := connection.execute(
        sa.select(audit_log).where(audit_log.c.id > after_id).order_by("id").limit(BATCH)
    ).all():
        values = []
        for row in rows:
            digest = entry_hash(prev_hash, row)
            values.append({"entry_id": row.id, "prev_hash": prev_hash, "hash": digest})
            prev_hash = digest
        connection.execute(
            audit_log.update()
            .where(audit_log.c.id == sa.bindparam("entry_id"))
            .values(prev_hash=sa.bindparam("prev_hash"), hash=sa.bindparam("hash")),
            values,
        )
        after_id = rows[-1].id


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    chain_existing_entries()
    with op.batch_alter_table("audit_log") as batch_op:
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch_op:
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
