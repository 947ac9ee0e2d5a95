"""The room actions both front ends offer, in one table: `kchat rooms …` and `kchat users …`
on the command line, and the console's slash commands (`/complete`, `/label +VIP`…).

Each verb names the command it stands for (whose access rule and audit name the console
borrows through `Runtime.mirror`), makes its domain action from its arguments, and says
what it did in the same words in both places, so the two cannot drift apart.

Bulk verbs make a RoomAction (applied a batch a transaction by `Runtime.bulk`) and say their
outcome as a past participle (`completed`, `labels +VIP`). One-room verbs are a domain
function taking the room and their arguments, and say their outcome as a sentence about the
room, from the function's result.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RoomVerb:
    command: str  # the command it stands for: its access rule and its name in the audit log
    make: Callable[..., Any]  # bulk: a RoomAction from the arguments; else the domain function
    said: Callable[..., str]  # bulk: said(*arguments); one room: said(room, result, *arguments)
    bulk: bool = True


def _room_actions():
    from kchat_cli.domain.conversations import room_actions

    return room_actions


def _labels(add: list[str], remove: list[str]):
    from kchat_cli.domain.conversations.labels import LabelChange

    return LabelChange(add, remove)


def _to_group(group: str):
    from kchat_cli.domain.conversations.groups import AddToGroup

    return AddToGroup(group)


def _labels_said(add: list[str], remove: list[str]) -> str:
    return " ".join(["labels", *(f"+{name}" for name in add), *(f"-{name}" for name in remove)])


def _renamed(room: int, _result, name: str) -> str:
    return (
        f"room {room} renamed" if name.strip() else f"room {room} shows the user's nickname again"
    )


def _memo_said(room: int, _result, text: str) -> str:
    return f"memo of room {room} {'saved' if text.strip() else 'cleared'}"


def _blocked_said(room: int, changed: bool) -> str:
    return f"the user of room {room} {'is blocked' if changed else 'was blocked already'}"


def _unblocked_said(room: int, changed: bool) -> str:
    return f"the user of room {room} {'is unblocked' if changed else 'was not blocked'}"


VERBS: dict[str, RoomVerb] = {
    "read": RoomVerb("rooms read", lambda: _room_actions().Read(), lambda: "marked read"),
    "complete": RoomVerb("rooms complete", lambda: _room_actions().Complete(), lambda: "completed"),
    "reopen": RoomVerb("rooms reopen", lambda: _room_actions().Reopen(), lambda: "reopened"),
    "star": RoomVerb("rooms star", lambda: _room_actions().Star(True), lambda: "starred"),
    "unstar": RoomVerb("rooms unstar", lambda: _room_actions().Star(False), lambda: "unstarred"),
    "assign": RoomVerb(
        "rooms assign",
        lambda login: _room_actions().Assign(login),
        lambda login: f"assigned to {login}" if login is not None else "unassigned",
    ),
    "label": RoomVerb("rooms label", _labels, _labels_said),
    "leave": RoomVerb(
        "rooms leave",
        lambda confirmed: _room_actions().Leave(confirmed=confirmed),
        lambda _: "left",
    ),
    "hold": RoomVerb("rooms hold", lambda: _room_actions().Hold(True), lambda: "put on hold"),
    "unhold": RoomVerb(
        "rooms unhold", lambda: _room_actions().Hold(False), lambda: "released from hold"
    ),
    "to-group": RoomVerb("rooms to-group", _to_group, lambda group: f"added to group {group}"),
    "rename": RoomVerb("rooms rename", lambda: _room_actions().rename, _renamed, bulk=False),
    "memo": RoomVerb("rooms memo", lambda: _room_actions().memo, _memo_said, bulk=False),
    "block": RoomVerb("users block", lambda: _room_actions().block, _blocked_said, bulk=False),
    "unblock": RoomVerb(
        "users unblock", lambda: _room_actions().unblock, _unblocked_said, bulk=False
    ),
}


def send_message(rt, room: int, outgoing, *, complete: bool = False) -> dict:
    """A message sent as `kchat send` sends it: an image's or file's bytes kept first,
    outside the write transaction (after the room and the access check are looked at),
    then the message in one transaction with its audit entry."""
    from kchat_cli import clock
    from kchat_cli.domain.conversations.sending import send, sendable_room

    if outgoing.carries_file:
        rt.look(sendable_room, room, for_update=False)
        outgoing.attach(rt.attachment_store(), rt.channel().id, clock.now())
    return rt.act(
        send,
        room,
        outgoing,
        complete=complete,
        target=f"room {room}",
        details=lambda sent: {"message": sent["id"], "kind": sent["kind"], "complete": complete},
    )


def act_on_room(rt, name: str, room: int, *arguments):
    """A one-room verb on `room`, through the runtime of the command it stands for: its
    access check and its audit entry. Returns what it did, as a sentence."""
    verb = VERBS[name]
    result = rt.mirror(verb.command).act(verb.make(), room, *arguments, target=f"room {room}")
    return verb.said(room, result, *arguments)


def act_on_rooms(rt, name: str, tokens, *arguments, dry_run: bool = False, report=None):
    """A bulk verb on the rooms named by `tokens`, through the runtime of the command it
    stands for. Returns the report and what the verb did, in words."""
    verb = VERBS[name]
    action = verb.make(*arguments)
    done = rt.mirror(verb.command).bulk(tokens, action, dry_run=dry_run, report=report)
    return done, verb.said(*arguments)
