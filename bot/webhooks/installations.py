"""`installation` and `installation_repositories` events: keep the stored installations in step."""

from __future__ import annotations

from gidgethub.routing import Router
from gidgethub.sansio import Event

from bot.webhooks.context import HandlerContext
from maze.installations import InstallationSync

router = Router()

INSTALLATION_ACTIONS = ("created", "deleted", "suspend", "unsuspend", "new_permissions_accepted")
REPOSITORY_ACTIONS = ("added", "removed")


async def _enqueue_sync(event: Event, context: HandlerContext) -> None:
    installation_id = int(event.data["installation"]["id"])
    action = str(event.data["action"])
    job = InstallationSync(installation_id=installation_id, action=action, delivery_id=event.delivery_id)
    await context.enqueue(job, f"sync installation {installation_id} ({event.event}.{action})")


for _action in INSTALLATION_ACTIONS:
    router.add(_enqueue_sync, "installation", action=_action)
for _action in REPOSITORY_ACTIONS:
    router.add(_enqueue_sync, "installation_repositories", action=_action)
