"""Coupons (R-COUPON-1): created apart with a name, a benefit and a validity."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli.domain.hostile import NAME_LIMIT, typed
from kchat_cli.errors import Invalid, NotFound
from kchat_cli.store.models import Coupon

COUPON_FIELDS = ("id", "name", "benefit", "valid_until", "expired")


def list_coupons(session: Session, channel_id: int, now: datetime) -> list[dict]:
    query = sa.select(Coupon).where(Coupon.channel_id == channel_id).order_by(Coupon.id)
    return [
        {
            "id": c.id,
            "name": c.name,
            "benefit": c.benefit,
            "valid_until": c.valid_until,
            "expired": c.valid_until < now,
        }
        for c in session.scalars(query)
    ]


def create(
    session: Session,
    channel_id: int,
    *,
    name: str,
    benefit: str,
    valid_until: datetime,
    now: datetime,
) -> int:
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


def delete(session: Session, channel_id: int, coupon_id: int) -> None:
    coupon = session.scalar(
        sa.select(Coupon).where(Coupon.id == coupon_id, Coupon.channel_id == channel_id)
    )
    if coupon is None:
        raise NotFound(f"no coupon {coupon_id}", "see kchat coupons list")
    session.delete(coupon)
