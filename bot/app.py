"""The aiohttp application: `POST /webhook` (verify, claim, route, enqueue, 202) and `GET /healthz`."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web
from gidgethub.routing import Router
from gidgethub.sansio import Event

from bot.webhooks.claims import DeliveryClaims
from bot.webhooks.context import HandlerContext
from bot.webhooks.own_events import caused_by_app
from bot.webhooks.payload import PayloadError, UnsupportedMediaType, decode_body, installation_id
from bot.webhooks.routing import build_router
from bot.webhooks.signature import SIGNATURE_HEADER, verify
from tasks.queue import Enqueuer

log = logging.getLogger(__name__)

MAX_WEBHOOK_BYTES = 25 * 1024 * 1024


class MissingWebhookSecret(RuntimeError):
    """The receiver refuses to start without a secret: it would accept forged deliveries."""


@dataclass(frozen=True)
class Intake:
    secret: bytes
    router: Router
    claims: DeliveryClaims
    enqueuer: Enqueuer
    app_id: int | None
    bot_login: str | None


INTAKE = web.AppKey("intake", Intake)


def _answer(status: int, outcome: str, delivery_id: str, **extra: object) -> web.Response:
    return web.json_response({"status": outcome, "delivery": delivery_id or None, **extra}, status=status)


def _reject(status: int, reason: str, delivery_id: str) -> web.Response:
    log.warning("webhook rejected: delivery=%s status=%s reason=%s", delivery_id or "-", status, reason)
    return _answer(status, "rejected", delivery_id, reason=reason)


async def receive_webhook(request: web.Request) -> web.Response:
    intake = request.app[INTAKE]
    delivery_id = request.headers.get("X-GitHub-Delivery", "")
    body = await request.read()
    if not verify(intake.secret, body, request.headers.get(SIGNATURE_HEADER)):
        return _reject(401, f"missing or invalid {SIGNATURE_HEADER}", delivery_id)
    event_name = request.headers.get("X-GitHub-Event", "")
    if not event_name or not delivery_id:
        return _reject(400, "X-GitHub-Event and X-GitHub-Delivery are required", delivery_id)
    try:
        data = decode_body(request.headers.get("Content-Type", ""), body)
    except UnsupportedMediaType as error:
        return _reject(415, str(error), delivery_id)
    except PayloadError as error:
        return _reject(400, str(error), delivery_id)
    if event_name == "ping":
        return _answer(200, "pong", delivery_id)
    event = Event(data, event=event_name, delivery_id=delivery_id)
    if not intake.router.fetch(event):
        log.info(
            "webhook ignored: delivery=%s event=%s action=%s", delivery_id, event_name, data.get("action")
        )
        return _answer(200, "ignored", delivery_id)
    if installation_id(data) is None:
        return _reject(400, "payload has no installation id", delivery_id)
    if caused_by_app(data, app_id=intake.app_id, bot_login=intake.bot_login):
        log.info("webhook ignored (caused by this app): delivery=%s event=%s", delivery_id, event_name)
        return _answer(200, "ignored", delivery_id, reason="caused by this app")
    if not await intake.claims.claim(delivery_id):
        log.info("webhook duplicate: delivery=%s event=%s", delivery_id, event_name)
        return _answer(200, "duplicate", delivery_id)
    context = HandlerContext(intake.enqueuer, intake.claims)
    try:
        await intake.router.dispatch(event, context)
    except (KeyError, TypeError, ValueError) as error:
        await _undo(intake, context, delivery_id)
        return _reject(400, f"payload lacks a field the event needs: {error}", delivery_id)
    except Exception:
        await _undo(intake, context, delivery_id)
        log.exception("webhook not enqueued: delivery=%s event=%s", delivery_id, event_name)
        return _answer(503, "unavailable", delivery_id, reason="could not enqueue; redeliver later")
    if not context.enqueued:
        outcome = "duplicate" if context.duplicates else "ignored"
        log.info("webhook %s: delivery=%s event=%s %s", outcome, delivery_id, event_name, context.duplicates)
        return _answer(200, outcome, delivery_id)
    log.info("webhook accepted: delivery=%s event=%s enqueued=%s", delivery_id, event_name, context.enqueued)
    return _answer(202, "accepted", delivery_id, enqueued=context.enqueued)


async def _undo(intake: Intake, context: HandlerContext, delivery_id: str) -> None:
    """Forget the claims of a delivery whose work was not enqueued, so a redelivery is accepted."""
    await context.release_claims()
    await intake.claims.release(delivery_id)


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def create_app(
    *,
    webhook_secret: str | None,
    claims: DeliveryClaims,
    enqueuer: Enqueuer,
    app_id: int | None = None,
    bot_login: str | None = None,
) -> web.Application:
    """The web app; it owns `claims` and `enqueuer` and closes them on cleanup."""
    if not webhook_secret:
        raise MissingWebhookSecret(
            "refusing to start: no webhook secret (set MAZE_WEBHOOK_SECRET or webhook_secret in maze.toml)"
        )
    app = web.Application(client_max_size=MAX_WEBHOOK_BYTES)
    app[INTAKE] = Intake(webhook_secret.encode("utf-8"), build_router(), claims, enqueuer, app_id, bot_login)
    app.router.add_post("/webhook", receive_webhook)
    app.router.add_get("/healthz", healthz)

    async def close(_app: web.Application) -> None:
        await claims.close()
        enqueuer.close()

    app.on_cleanup.append(close)
    return app
