"""`pull_request` events that start a review: opened, synchronize, reopened, ready_for_review."""

from __future__ import annotations

from gidgethub.routing import Router
from gidgethub.sansio import Event

from bot.webhooks.context import HandlerContext
from maze.runs import ReviewRequest

router = Router()

REVIEW_ACTIONS = ("opened", "synchronize", "reopened", "ready_for_review")


async def _enqueue_review(event: Event, context: HandlerContext) -> None:
    pull = event.data["pull_request"]
    repository = event.data["repository"]
    request = ReviewRequest(
        installation_id=int(event.data["installation"]["id"]),
        repository_id=int(repository["id"]),
        repository=str(repository["full_name"]),
        pr_number=int(pull["number"]),
        head_sha=str(pull["head"]["sha"]),
        delivery_id=event.delivery_id,
        event=event.event,
        action=str(event.data.get("action")),
    )
    logical_key = f"logical:pull_request:{request.repository_id}:{request.pr_number}:{request.head_sha}"
    description = f"review {request.repository}#{request.pr_number}@{request.head_sha[:12]}"
    await context.enqueue_once(logical_key, request, description)


for _action in REVIEW_ACTIONS:
    router.add(_enqueue_review, "pull_request", action=_action)
