"""kchat coupons (R-COUPON-1)."""

from datetime import datetime
from typing import Annotated

import typer

from kchat_cli.commands.asking import confirmed
from kchat_cli.commands.common import app_for, runtime
from kchat_cli.commands.options import OutputOption, YesOption, time_parser
from kchat_cli.commands.speech import say
from kchat_cli.domain.conversations import coupons
from kchat_cli.domain.vocabulary import MAX_ID
from kchat_cli.render import Format, emit

app = app_for("Coupons, sent to friends with `send ROOM --coupon ID`.")


@app.command("list")
def list_(ctx: typer.Context, output: OutputOption = Format.table) -> None:
    """List coupons, with whether each has expired.

    Example: kchat coupons list
    """
    records = runtime(ctx).look(coupons.list_coupons)
    emit(records, output, fields=coupons.COUPON_FIELDS, empty="no coupons")


@app.command()
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The coupon's name.")],
    benefit: Annotated[str, typer.Option("--benefit", help="What it gives.")],
    valid_until: Annotated[
        datetime,
        typer.Option(
            "--valid-until",
            parser=time_parser("--valid-until", end_of_day=True),
            metavar="TIME",
            help="The last valid day (2026-12-31, valid through its end, Korea time), "
            "or a time it stops being valid (2026-12-31T18:00).",
        ),
    ],
) -> None:
    """Create a coupon; prints its id.

    Example: kchat coupons create "겨울 할인" --benefit "10% 할인" --valid-until 2026-12-31
    """
    from kchat_cli.clock import kst_day_or_minute

    coupon_id = runtime(ctx).act(
        coupons.create,
        name=name,
        benefit=benefit,
        valid_until=valid_until,
        target=lambda created: f"coupon {created}",
        details={"name": name},
    )
    typer.echo(coupon_id)
    say(f"coupon {coupon_id} created, valid until {kst_day_or_minute(valid_until)}")


@app.command()
def delete(
    ctx: typer.Context,
    coupon_id: Annotated[
        int, typer.Argument(metavar="ID", min=1, max=MAX_ID, help="The coupon id.")
    ],
    yes: YesOption = False,
) -> None:
    """Delete a coupon (those already sent stay sent).

    Example: kchat coupons delete 3 --yes
    """
    rt = runtime(ctx)
    if confirmed(f"delete coupon {coupon_id}", yes=yes):
        rt.act(coupons.delete, coupon_id, target=f"coupon {coupon_id}")
        say(f"coupon {coupon_id} deleted")
