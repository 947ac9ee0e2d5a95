"""Making a store hold a channel. Setup alone opens a store by its URL: it makes the store
that every other command then opens through the runtime."""

from datetime import datetime

from kchat_cli.domain.access import admins
from kchat_cli.errors import Refused
from kchat_cli.store import migrate, opening
from kchat_cli.store.batches import Batches
from kchat_cli.store.engine import shown_url


def initialise(
    url: str,
    name: str,
    *,
    owner: str,
    owner_name: str | None,
    now: datetime,
    new_channel: bool = False,
) -> dict:
    """Create or upgrade the store, then the channel and its owner (kept if they exist).
    A store that holds other channels gets another only with `new_channel`: after it, every
    command there must name its channel."""
    others = channels_besides(url, name)
    if others and not new_channel:
        raise Refused(
            f"this store already has the channel{'s' if len(others) > 1 else ''} "
            f"{opening.some(others)}",
            f"pass --new-channel to add {name!r} beside it, or --db for a store of its own",
        )
    batches = Batches(opening.prepared_store(url))

    def create(session):
        channel, created = admins.create_channel(
            session, name, owner=owner, owner_name=owner_name, now=now
        )
        return {
            "channel": channel.name,
            "owner": owner,
            "created": created,
            "schema": migrate.head_revision(),
            "store": shown_url(url),
        }

    return batches.write(create)


def channels_besides(url: str, name: str) -> list[str]:
    """The store's channels other than `name`, oldest first; none in a store not made yet."""
    return [other for other in opening.channels_at(url) if other != name]
