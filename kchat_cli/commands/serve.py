"""kchat serve."""

from typing import Annotated

import typer

from kchat_cli.commands.common import runtime
from kchat_cli.commands.speech import say
from kchat_cli.errors import Invalid

app = typer.Typer(add_completion=False, rich_markup_mode=None)

DEFAULT_LISTEN = "127.0.0.1:8787"
SECRET_BYTES = 16  # at least: a shorter secret is guessed sooner than a request is replayed


@app.command()
def serve(
    ctx: typer.Context,
    listen: Annotated[
        str | None,
        typer.Option(
            "--listen",
            metavar="HOST:PORT",
            help="Where to receive requests (KCHAT_LISTEN, config key listen). "
            f"[default: {DEFAULT_LISTEN}]",
        ),
    ] = None,
) -> None:
    """Receive the platform's webhooks: signed events, each applied once.

    POST /events takes one event (application/json) or event lines (application/x-ndjson)
    in the format `kchat ingest` reads, signed with KCHAT_WEBHOOK_SECRET, and answers 200
    once they are committed. GET /healthz says whether the store is ready. SIGTERM or
    Ctrl-C stops it once the requests in flight are answered.

    Example: kchat serve --listen 127.0.0.1:8787   (with KCHAT_WEBHOOK_SECRET set)
    """
    from kchat_cli import config
    from kchat_cli.webhooks.server import serve as receive

    secret = config.resolve("webhook_secret").value
    if not secret or not secret.strip():
        raise Invalid(
            "serve needs the secret that signs the platform's requests",
            "set KCHAT_WEBHOOK_SECRET (or webhook_secret in the config file)",
        )
    if len(secret.encode()) < SECRET_BYTES:
        raise Invalid(
            f"the webhook secret is too short: it takes {SECRET_BYTES} bytes at least",
            "use a random one, e.g. from: openssl rand -hex 32",
        )
    rt = runtime(ctx)
    address = config.resolve("listen", listen).value or DEFAULT_LISTEN
    receive(rt, address, secret, ready=lambda url: say(f"receiving webhooks at {url}/events"))
