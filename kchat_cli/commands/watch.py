"""kchat watch."""

import shutil
import subprocess
import sys
from typing import Annotated

import typer

from kchat_cli.commands.common import runtime
from kchat_cli.commands.speech import say
from kchat_cli.domain.vocabulary import MAX_LIMIT
from kchat_cli.render import Format, clip, short_time, visible

app = typer.Typer(add_completion=False, rich_markup_mode=None)


@app.command()
def watch(
    ctx: typer.Context,
    count: Annotated[
        int,
        typer.Option(
            "--count", "-c", min=0, max=MAX_LIMIT, help="Stop after this many events; 0 to go on."
        ),
    ] = 0,
    output: Annotated[
        Format, typer.Option("--output", "-o", help="table (a line an event) or jsonl.")
    ] = Format.table,
) -> None:
    """Follow new user messages and room changes as they happen, a line each.

    A room change shows when and by whom it was made: an admin, ingest or a job. With
    your notifications on, each new message rings the terminal bell and, where
    notify-send exists, shows a desktop notification. Ctrl-C stops.

    Example: kchat watch -o jsonl
    """
    from kchat_cli.domain.conversations.watch import EVENT_FIELDS, follow
    from kchat_cli.render import emit

    rt = runtime(ctx)
    admin = rt.look(lambda actor: actor.admin)
    alerts = admin.notifications
    say(
        f"watching {rt.channel().name} as {admin.login} "
        f"(notifications {'on' if alerts else 'off'}); Ctrl-C stops"
    )
    seen = 0
    try:
        for event in follow(rt.batches(), rt.channel().id):
            if output is Format.table:
                sys.stdout.write(visible(_line(event)) + "\n")
            else:
                emit([event], output, fields=EVENT_FIELDS)
            sys.stdout.flush()
            if alerts and event["type"] == "message":
                _alert(event)
            seen += 1
            if count and seen >= count:
                return
    except KeyboardInterrupt:
        return


def _line(event: dict) -> str:
    who = event["name"] or event["user"]
    if event["type"] == "message":
        return f"{short_time(event['ts'])}  room {event['room']}  {who}: {clip(80)(event['text'])}"
    assignee = f", assigned to {event['assignee']}" if event["assignee"] else ""
    by = f" (by {event['by']})" if event["by"] else ""
    return (
        f"{short_time(event['ts'])}  room {event['room']}  {who}: "
        f"{event['status']}, {event['unread']} unread{assignee}{by}"
    )


def _alert(event: dict) -> None:
    sys.stderr.write("\a")
    sys.stderr.flush()
    if shutil.which("notify-send"):
        subprocess.run(
            [
                "notify-send",
                f"kchat: {event['name'] or event['user']}",
                event["text"] or f"[{event['kind']}]",
            ],
            check=False,
        )
