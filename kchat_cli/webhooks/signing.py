"""The signature a platform adapter puts on each request: `X-Kchat-Timestamp: <unix seconds>`
and `X-Kchat-Signature: sha256=<hex>`, hex being HMAC-SHA256 with the shared secret over
the timestamp, a `.`, and the raw body. A timestamp more than MAX_SKEW from this server's
clock is refused, so a captured request cannot be replayed later."""

import hashlib
import hmac
import re

MAX_SKEW = 300  # seconds
_SIGNATURE = re.compile(r"sha256=([0-9a-fA-F]{64})")  # hex in either case
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class Unsigned(Exception):
    """The request is not signed with the secret, or not now."""


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """What a platform adapter sends as X-Kchat-Signature."""
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: bytes, timestamp: str | None, signed: str | None, body: bytes, now: float):
    """Raise Unsigned unless `signed` is the signature of `body` at `timestamp`, which is
    within MAX_SKEW of `now`. Compared in constant time."""
    if not timestamp or not signed:
        raise Unsigned("missing signature")
    given = _SIGNATURE.fullmatch(signed)
    if not _TIMESTAMP.fullmatch(timestamp) or not given:
        raise Unsigned("malformed signature")
    if abs(now - int(timestamp)) > MAX_SKEW:
        raise Unsigned("stale signature")
    if not hmac.compare_digest(signature(secret, timestamp, body), f"sha256={given[1].lower()}"):
        raise Unsigned("wrong signature")
