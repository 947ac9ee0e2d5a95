"""What the console shows in the conversation's place: what `/reply`, `/label`, `/assign`,
`/coupon` and `/to-group` alone list (each from the command it stands for), and search hits."""

from collections.abc import Callable

from kchat_cli.domain.access.admins import list_admins
from kchat_cli.domain.conversations.coupons import list_coupons
from kchat_cli.domain.conversations.groups import list_groups
from kchat_cli.domain.conversations.labels import list_labels
from kchat_cli.domain.conversations.replies import list_replies
from kchat_cli.domain.vocabulary import counted
from kchat_cli.render import short_time
from kchat_cli.views import around, message_body


def _coupon(coupon: dict) -> str:
    expired = " (expired)" if coupon["expired"] else ""
    return (
        f"{coupon['id']}: {coupon['name']} · {coupon['benefit']} · "
        f"until {coupon['valid_until']}{expired}"
    )


# kind: (the command the listing stands for, its domain function, a line for each item)
LISTS: dict[str, tuple[str, Callable, Callable[[dict], str]]] = {
    "replies": ("replies list", list_replies, lambda reply: f"{reply['name']}: {reply['text']}"),
    "labels": (
        "labels list",
        list_labels,
        lambda label: f"{label['name']} ({counted(label['rooms'], 'room')})",
    ),
    "admins": (
        "admins list",
        list_admins,
        lambda admin: f"{admin['login']} · {admin['name']} · {admin['role']}",
    ),
    "coupons": ("coupons list", list_coupons, _coupon),
    "groups": (
        "groups list",
        list_groups,
        lambda group: f"{group['name']} ({counted(group['members'], 'member')})",
    ),
}


def hit_lines(hits: list[dict], text: str) -> list[str]:
    """Search hits in one room: when, and the message from a little before the hit."""
    return [f"{short_time(hit['ts'])[5:]} {around(message_body(hit), text)}" for hit in hits]
