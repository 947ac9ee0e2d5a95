"""Coupons (R-COUPON-1): created apart with a name, a benefit and a validity.

A coupon's `valid_until` is the first moment it is no longer valid: `--valid-until
2026-12-31` keeps the next Korea midnight, so the coupon is valid through that whole day,
and it is shown as that last day everywhere (`2026-12-31`), never as the midnight after.
"""

from datetime import datetime

import sqlalchemy as sa

from kchat_cli import clock
from kchat_cli.domain.actor import Actor
from kchat_cli.domain.hostile import NAME_LIMIT, typed
from kchat_cli.errors import Invalid, NotFound
from kchat_cli.store.models import Coupon

COUPON_FIELDS = ("id", "name", "benefit", "valid_until", "expired")


def list_coupons(actor: Actor) -> list[dict]:
    session, channel_id, now = actor.db, actor.channel_id, actor.now
    query = sa.select(Coupon).where(Coupon.channel_id == channel_id).order_by(Coupon.id)
    return [
        {
            "id": c.id,
            "name": c.name,
            "benefit": c.benefit,
            "valid_until": clock.kst_day_or_minute(c.valid_until),
            "expired": is_expired(c, now),
        }
        for c in session.scalars(query)
    ]


def is_expired(coupon: Coupon, now: datetime) -> bool:
    return coupon.valid_until <= now


def create(actor: Actor, *, name: str, benefit: str, valid_until: datetime) -> int:
    session, channel_id, now = actor.db, actor.channel_id, actor.now
    name = typed(name, "the coupon's name")
    benefit = typed(benefit, "the coupon's benefit", limit=2 * NAME_LIMIT)
    if valid_until <= now:
        raise Invalid("the coupon would be expired already", "give a --valid-until to come")
    coupon = Coupon(
        channel_id=channel_id, name=name, benefit=benefit, valid_until=valid_until, created_at=now
    )
    session.add(coupon)
    session.flush()
    return coupon.id


def delete(actor: Actor, coupon_id: int) -> None:
    session, channel_id = actor.db, actor.channel_id
    coupon = session.scalar(
        sa.select(Coupon).where(Coupon.id == coupon_id, Coupon.channel_id == channel_id)
    )
    if coupon is None:
        raise NotFound(f"no coupon {coupon_id}", "see kchat coupons list")
    session.delete(coupon)
