"""Webhook secrets sealed at rest: secret/previous_secret become sealed_secret/
sealed_previous_secret (AES-256-GCM, adapters/sealing.py); NULL once a subscription is deleted.

Secrets already stored in clear are sealed here with the keyring in
CIVIC_TRAJECTEN_WEBHOOK_SECRET_KEYS; without it the migration refuses to run while any clear
secret exists (so none is left behind), and runs without it on a database holding none.

Revision ID: 0005
"""

from collections.abc import Callable
from uuid import UUID

import sqlalchemy as sa
from alembic import op

from trajecten.adapters.sealing import Keyring, SealingNotConfigured, keyring

revision = "0005"
down_revision = "0004"
S = "trajecten"
TABLE = f"{S}.partner_subscriptions"


def _keyring_for(count: int, action: str) -> Keyring:
    try:
        return keyring()
    except SealingNotConfigured as exc:
        raise RuntimeError(
            f"trajecten migration {revision}: {count} partner subscription(s) hold webhook"
            f" secrets to {action}; set CIVIC_TRAJECTEN_WEBHOOK_SECRET_KEYS ({exc})"
        ) from exc


def _rewrite(action: str, change: Callable[[Keyring, str | None, UUID], str | None]) -> None:
    """Seal or open every stored secret, with the keyring from the environment."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            f"SELECT id, secret, previous_secret FROM {TABLE}"
            " WHERE secret IS NOT NULL OR previous_secret IS NOT NULL"
        )
    ).all()
    if not rows:
        return
    keys = _keyring_for(len(rows), action)
    for row in rows:
        subscription_id = UUID(str(row.id))
        bind.execute(
            sa.text(f"UPDATE {TABLE} SET secret = :s, previous_secret = :p WHERE id = :id"),
            {
                "id": row.id,
                "s": change(keys, row.secret, subscription_id),
                "p": change(keys, row.previous_secret, subscription_id),
            },
        )


def _seal(keys: Keyring, value: str | None, subscription_id: UUID) -> str | None:
    return keys.seal(value, subscription_id) if value else None


def _open(keys: Keyring, value: str | None, subscription_id: UUID) -> str | None:
    return keys.open(value, subscription_id) if value else None


def upgrade() -> None:
    op.alter_column("partner_subscriptions", "secret", nullable=True, schema=S)
    # A deleted subscription held an empty secret; it holds none now.
    op.execute(f"UPDATE {TABLE} SET secret = NULL WHERE secret = ''")
    _rewrite("seal", _seal)
    op.alter_column("partner_subscriptions", "secret", new_column_name="sealed_secret", schema=S)
    op.alter_column(
        "partner_subscriptions",
        "previous_secret",
        new_column_name="sealed_previous_secret",
        schema=S,
    )


def downgrade() -> None:
    op.alter_column("partner_subscriptions", "sealed_secret", new_column_name="secret", schema=S)
    op.alter_column(
        "partner_subscriptions",
        "sealed_previous_secret",
        new_column_name="previous_secret",
        schema=S,
    )
    _rewrite("open", _open)
    op.execute(f"UPDATE {TABLE} SET secret = '' WHERE secret IS NULL")
    op.alter_column("partner_subscriptions", "secret", nullable=False, schema=S)
