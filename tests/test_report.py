"""`kchat report` (R-REPORT-1): reply times, rooms and messages, by assignee, label or day."""

from datetime import timedelta

from conftest import kst, room_of

from kchat_cli.clock import parse_instant
from kchat_cli.domain.actor import Actor, Home
from kchat_cli.domain.conversations import room_actions
from kchat_cli.domain.conversations.bulk import apply_to_rooms
from kchat_cli.domain.reports.report import percentile
from kchat_cli.store.batches import Batches
from kchat_cli.store.opening import find_channel


def conversations(kchat, ev):
    """u1 waits 10 minutes (alice's), u2 30 minutes then 2 (bob's), u3 is never answered."""
    kchat("admins", "add", "bob", "--name", "박보검")
    kchat.ingest(
        ev.says("u1", "2026-11-20 09:00"),
        ev.says("u1", "2026-11-20 09:05"),
        ev.answer("u1", "2026-11-20 09:10"),
        ev.says("u2", "2026-11-20 10:00"),
        ev.answer("u2", "2026-11-20 10:30", admin="bob"),
        ev.says("u2", "2026-11-21 11:00"),
        ev.answer("u2", "2026-11-21 11:02", admin="bob"),
        ev.says("u3", "2026-11-21 12:00"),
    )
    kchat("rooms", "assign", room_of(kchat, "u1")["id"], "--to", "alice")
    kchat("rooms", "assign", room_of(kchat, "u2")["id"], "--to", "bob")


def by_group(kchat, *args) -> dict:
    return {row["group"]: row for row in kchat.json("report", *args)}


def test_first_response_by_assignee(kchat, ev):
    conversations(kchat, ev)
    rows = by_group(kchat, "--by", "assignee")
    assert rows["alice"]["first_response_median"] == 600, "from the first waiting message"
    assert (rows["bob"]["first_response_median"], rows["bob"]["first_response_p90"]) == (960, 1800)
    assert rows["(none)"]["first_response_median"] is None
    assert (rows["alice"]["rooms"], rows["alice"]["messages"]) == (1, 3)


def test_by_korea_day_and_period(kchat, ev):
    conversations(kchat, ev)
    rows = by_group(kchat, "--by", "day")
    assert set(rows) == {"2026-11-20", "2026-11-21"}
    assert rows["2026-11-21"]["messages"] == 3
    rows = by_group(kchat, "--by", "day", "--since", "2026-11-21")
    assert set(rows) == {"2026-11-21"}
    assert rows["2026-11-21"]["first_response_median"] == 120


def test_by_label(kchat, ev):
    conversations(kchat, ev)
    kchat("labels", "create", "VIP")
    kchat("rooms", "label", room_of(kchat, "u2")["id"], "--add", "VIP")
    rows = by_group(kchat, "--by", "label")
    assert rows["VIP"]["rooms"] == 1 and rows["(none)"]["rooms"] == 2


def test_resolution_time_from_the_consultation_start_to_completion(kchat, ev):
    conversations(kchat, ev)
    channel = find_channel(kchat.engine, None)
    done = parse_instant(kst("2026-11-20 11:00"))
    apply_to_rooms(
        Batches(kchat.engine),
        [str(room_of(kchat, "u1")["id"])],
        room_actions.Complete(),
        actor_of=lambda session: Actor(
            db=session, channel=channel, now=done, home=Home(kchat.home)
        ),
    )
    rows = by_group(kchat, "--by", "assignee")
    assert rows["alice"]["resolution_median"] == timedelta(hours=2).total_seconds()
    assert rows["bob"]["resolution_median"] is None


def test_the_table_has_a_bar_chart(kchat, ev):
    conversations(kchat, ev)
    out = kchat("report", "--by", "assignee").stdout
    assert "median first response" in out
    chart = out.split("median first response\n")[1].splitlines()
    assert chart[0].startswith("(none)") and chart[1].startswith("alice")
    assert chart[2].count("█") == 30, "the longest median gets the whole bar"


def test_percentile_is_nearest_rank():
    assert percentile([], 0.9) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile(list(range(1, 11)), 0.9) == 9
