"""The `maze` command line: the composition root that wires engine, queue and GitHub edge together."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import click

from maze.config import ConfigError, Settings, explain_settings, load_settings

if TYPE_CHECKING:
    from maze.generation.providers.base import Provider
    from maze.sandbox.api import Runner


def _settings(ctx: click.Context, **flags: object) -> Settings:
    overrides = {**ctx.obj, **flags}
    try:
        return load_settings(overrides)
    except ConfigError as error:
        raise click.ClickException(str(error)) from error


def _setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


def _require_current_schema(settings: Settings) -> None:
    from maze.store import schema

    if settings.database_url.startswith("sqlite"):
        schema.upgrade(settings.database_url)
    elif not schema.is_current(settings.database_url):
        raise click.ClickException("the database is not at the newest migration: run `maze db upgrade` first")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--database-url", help="Database URL (default: SQLite under .maze/).")
@click.option("--redis-url", help="Redis URL of the broker (unset: embedded in-process queue).")
@click.option("--github-api-url", help="GitHub REST API base URL.")
@click.option("--log-level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False))
@click.pass_context
def main(ctx: click.Context, /, **flags: object) -> None:
    """Maze reviews pull requests and posts only fixes it has proven to work."""
    ctx.obj = {key: value for key, value in flags.items() if value is not None}


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@click.option(
    "--database",
    type=click.Path(path_type=Path),
    default=Path(".maze/demo.db"),
    show_default=True,
    help="SQLite file for the demo's runs (recreated on every demo).",
)
def demo(as_json: bool, database: Path) -> None:
    """Review a sample pull request against the built-in GitHub emulator, all in this process."""
    from bot.demo import render_text, run_demo

    _setup_logging("WARNING")
    result = asyncio.run(run_demo(database))
    click.echo(json.dumps(result.as_json(), indent=2) if as_json else render_text(result))
    if result.review is None:
        sys.exit(1)


@main.command()
@click.option("--host", help="Interface to listen on.")
@click.option("--port", type=int, help="Port to listen on.")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Run the webhook receiver (POST /webhook, GET /healthz)."""
    from aiohttp import web

    from bot.app import MissingWebhookSecret, create_app
    from bot.webhooks.claims import DeliveryClaims, MemoryClaims, RedisClaims
    from tasks.queue import build_enqueuer

    settings = _settings(ctx, host=host, port=port)
    _setup_logging(settings.log_level)
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    if not secret:
        raise click.ClickException(str(MissingWebhookSecret("no webhook secret: set MAZE_WEBHOOK_SECRET")))
    if settings.embedded_queue:
        _require_current_schema(settings)
    claims: DeliveryClaims = (
        RedisClaims(settings.redis_url, settings.redis_prefix) if settings.redis_url else MemoryClaims()
    )
    app = create_app(
        webhook_secret=secret,
        claims=claims,
        enqueuer=build_enqueuer(settings),
        app_id=settings.github_app_id,
        bot_login=f"{settings.github_app_slug}[bot]" if settings.github_app_slug else None,
    )
    web.run_app(app, host=settings.host, port=settings.port, print=click.echo)


@main.command()
@click.option("--concurrency", type=int, default=2, show_default=True, help="Worker processes.")
@click.option("--queues", default="fast,slow", show_default=True, help="Queues to consume, comma-separated.")
@click.option(
    "--beat", is_flag=True, help="Also run the scheduler that resumes stalled runs (one per deployment)."
)
@click.pass_context
def worker(ctx: click.Context, concurrency: int, queues: str, beat: bool) -> None:
    """Run a Celery worker that takes review tasks from the Redis broker."""
    from maze.store.db import dispose_engines
    from tasks.celery_app import create_celery

    settings = _settings(ctx)
    if settings.redis_url is None:
        raise click.ClickException(
            "a worker needs MAZE_REDIS_URL; without it `maze serve` reviews in-process"
        )
    _setup_logging(settings.log_level)
    _require_current_schema(settings)
    dispose_engines()
    app = create_celery(settings)
    argv = [
        "worker",
        f"--loglevel={settings.log_level}",
        f"--concurrency={concurrency}",
        f"--queues={queues}",
        "--without-gossip",
        "--without-mingle",
    ]
    app.worker_main([*argv, "--beat"] if beat else argv)


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Apply migrations up to REVISION."""
    from maze.store import schema

    settings = _settings(ctx.find_root())
    schema.upgrade(settings.database_url, revision)
    click.echo(f"database at {revision}")


@db.command("check")
@click.pass_context
def db_check(ctx: click.Context) -> None:
    """Fail when the models and the migrations disagree."""
    from alembic.util.exc import AutogenerateDiffsDetected

    from maze.store import schema

    settings = _settings(ctx.find_root())
    try:
        schema.check(settings.database_url)
    except AutogenerateDiffsDetected as error:
        raise click.ClickException(str(error)) from error
    click.echo("models and migrations agree")


@main.group(invoke_without_command=True)
@click.option("--stage", help="Only runs at this stage (e.g. failed, done, posting).")
@click.option("--repo", help="Only runs of this repository (owner/name).")
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def runs(ctx: click.Context, stage: str | None, repo: str | None, limit: int, as_json: bool) -> None:
    """Recent review runs with their stage, attempts and error."""
    if ctx.invoked_subcommand is not None:
        return
    from bot.run_reports import list_runs

    settings = _settings(ctx.find_root())
    rows = list_runs(settings.database_url, stage=stage, repository=repo, limit=limit)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no runs")
        return
    for row in rows:
        error = f"  {row['error']}" if row["error"] else ""
        click.echo(
            f"{row['id']:>6}  {row['repository']}#{row['pr']}  {row['head'][:12]}  {row['stage']:<10}"
            f"  attempts={row['attempts']}  {row['updated']}{error}"
        )


@runs.command("show")
@click.argument("run_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def runs_show(ctx: click.Context, run_id: int, as_json: bool) -> None:
    """One run: its stages with timestamps, what it found and posted, and why it stopped."""
    from bot.run_reports import show_run

    settings = _settings(ctx.find_root())
    report = show_run(settings.database_url, run_id)
    if report is None:
        raise click.ClickException(f"no run {run_id}")
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(f"run {report['id']}: {report['repository']}#{report['pr']} at {report['head']}")
    click.echo(
        f"stage: {report['stage']}"
        + (f" (failed at {report['failed_stage']})" if report["failed_stage"] else "")
    )
    if report["error"]:
        click.echo(f"error: {report['error']}")
    for event in report["events"]:
        click.echo(f"  {event['at']}  {event['stage']:<10}  {event['detail'] or ''}")
    click.echo(f"summary: {json.dumps(report['summary'])}")


@runs.command("resume")
@click.pass_context
def runs_resume(ctx: click.Context) -> None:
    """Enqueue again the runs whose task was lost (what the beat schedule does every minute)."""
    from tasks.celery_app import create_celery
    from tasks.jobs import schedule
    from tasks.recovery import resume_stalled

    settings = _settings(ctx.find_root())
    if settings.redis_url is None:
        raise click.ClickException(
            "resuming needs the broker (MAZE_REDIS_URL); embedded runs resume on restart"
        )
    app = create_celery(settings)
    from tasks import runtime

    resumed = runtime.current().run(resume_stalled())
    with app.connection_for_write():
        for run_id, stage in resumed:
            schedule(stage, run_id)
    click.echo(f"resumed {len(resumed)} run(s)")


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def doctor(ctx: click.Context, as_json: bool) -> None:
    """Check the database, queue, GitHub app settings, sandbox and tools; exit 1 on a problem."""
    from bot.doctor import diagnose

    checks = diagnose(_settings(ctx.find_root()))
    if as_json:
        click.echo(json.dumps([check.to_json() for check in checks], indent=2))
    else:
        width = max(len(check.name) for check in checks)
        for check in checks:
            click.echo(f"{check.status:<8} {check.name.ljust(width)}  {check.detail}")
    if any(check.status == "problem" for check in checks):
        ctx.exit(1)


@main.command("index")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path), default=".")
@click.option("--json", "as_json", is_flag=True, help="Print the report (and map) as JSON.")
@click.option("--workers", type=click.IntRange(min=1), help="Parser processes (default: every core).")
@click.option("--no-cache", is_flag=True, help="Neither read nor fill the shared index cache.")
@click.option("--max-bytes", type=click.IntRange(min=1), help="Skip files larger than this.")
@click.option("--map-tokens", type=click.IntRange(min=0), default=0, help="Also print a repo map this big.")
@click.option("--changed", multiple=True, help="A changed file the repo map centres on (repeatable).")
@click.pass_context
def index(
    ctx: click.Context,
    path: Path,
    as_json: bool,
    workers: int | None,
    no_cache: bool,
    max_bytes: int | None,
    map_tokens: int,
    changed: tuple[str, ...],
) -> None:
    """Index a working tree (honouring .gitignore): symbols, imports and references per file."""
    from maze.indexing.cli_support import run_index

    settings = _settings(ctx.find_root())
    if not no_cache:
        _require_current_schema(settings)
    outcome = run_index(
        path,
        database_url=None if no_cache else settings.database_url,
        workers=workers,
        max_bytes=max_bytes,
        map_tokens=map_tokens,
        changed=changed,
        show_progress=not as_json,
    )
    if as_json:
        click.echo(json.dumps(outcome.to_json(), indent=2))
    else:
        click.echo(outcome.to_text())


@main.command("validate")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path), default=".")
@click.option("--against", metavar="REF", help="Show only what is new relative to this git ref of PATH.")
@click.option("--json", "output", flag_value="json", help="Print the diagnostics and tool runs as JSON.")
@click.option("--sarif", "output", flag_value="sarif", help="Print SARIF 2.1.0 (for GitHub code scanning).")
@click.option(
    "--sandbox",
    type=click.Choice(["bubblewrap", "none"]),
    help="How repository code (tests) runs (default: the `sandbox` setting); when bubblewrap is "
    "asked for but missing, it does not run at all.",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor fill the shared diagnostic cache.")
@click.pass_context
def validate(
    ctx: click.Context,
    path: Path,
    against: str | None,
    output: str | None,
    sandbox: str | None,
    no_cache: bool,
) -> None:
    """Run the validators (syntax, ruff, types, tests, security) on the working tree at PATH.

    Without --against every diagnostic of the tree is printed; with it, only diagnostics that are new
    relative to REF, in files changed since REF, and tests that fail now but did not at REF.

    Exit status: 1 when an error-severity diagnostic is printed, 0 when none is, 2 on bad input
    (an unknown ref, PATH not the root of a git repository with --against, an invalid .github/maze.toml).
    """
    from maze.validators.cache import DatabaseDiagnosticCache
    from maze.validators.cli_support import BadInput, render, run_validate, sandbox_runner

    settings = _settings(ctx.find_root(), sandbox=sandbox)
    cache = None
    if not no_cache:
        _require_current_schema(settings)
        cache = DatabaseDiagnosticCache(settings.database_url)
    try:
        outcome = run_validate(path, against=against, runner=sandbox_runner(settings.sandbox), cache=cache)
    except BadInput as error:
        raise click.UsageError(str(error)) from error
    click.echo(render(outcome, output or "text"))
    sys.exit(outcome.exit_code)


class _ReviewInputError(click.ClickException):
    """`maze review` cannot run as asked (exit status 2, as a usage error)."""

    exit_code = 2


def _review_runner(mode: Literal["bubblewrap", "none"]) -> Runner | None:
    """The sandbox runner, or None (and a warning on stderr) when bubblewrap is asked for and unusable."""
    from maze.sandbox.api import SandboxUnavailable
    from maze.sandbox.factory import make_runner

    try:
        return make_runner(mode)
    except SandboxUnavailable as error:
        click.echo(f"warning: {error}", err=True)
        return None


def _review_provider(settings: Settings) -> Provider | None:
    from tasks.model_providers import ProviderConfigError, provider_from

    try:
        return provider_from(settings)
    except ProviderConfigError as error:
        raise _ReviewInputError(str(error)) from error


@main.command("review")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path), default=".")
@click.option(
    "--base",
    metavar="REF",
    help="Review everything since the merge base of REF and HEAD (default: the uncommitted changes).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["diff", "text", "json", "sarif"]),
    default="text",
    show_default=True,
    help="diff: the proven fixes as one patch for `git apply`; sarif: SARIF 2.1.0 with the fixes.",
)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE, not stdout.")
@click.option("--no-model", is_flag=True, help="Do not ask the model, whatever the model_provider setting.")
@click.option("--rounds", type=click.IntRange(min=0), default=3, show_default=True, help="Model rounds.")
@click.option(
    "--max-suggestions",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Show at most this many proven fixes; the other findings are listed without one.",
)
@click.pass_context
def review(
    ctx: click.Context,
    path: Path,
    base: str | None,
    output_format: str,
    output: Path | None,
    no_model: bool,
    rounds: int,
    max_suggestions: int,
) -> None:
    """Find problems on the lines changed in the git working tree at PATH, and print proven fixes.

    The same engine as on pull requests: the validators' findings on the added and changed lines, then
    ruff's safe fixes, symbolic repairs and (when a model is configured) model repairs, each proven on
    a copy of the tree before it is shown. Apply the fixes with
    `maze review --format diff | git apply` from the top of the repository.

    Exit status: 0 when there is no finding on the changed lines, 1 when there is at least one (with a
    proven fix or not: the code still has it until the fix is applied), 2 when the review could not run
    (PATH not in a git working tree, an unknown ref, an invalid setting or .github/maze.toml).
    """
    from maze.repair.engine import EngineOptions, repair_tree
    from maze.repair.formats import render
    from maze.repair.local import LocalReviewError, changed_lines, work_tree_root
    from maze.validators.cli_support import BadInput, settings_for

    try:
        settings = _settings(ctx.find_root())
        root = work_tree_root(path)
        changed = changed_lines(path, base)
        validation = settings_for(root)
    except (click.ClickException, LocalReviewError, BadInput) as error:
        message = error.format_message() if isinstance(error, click.ClickException) else str(error)
        raise _ReviewInputError(message) from error
    provider = None if no_model else _review_provider(settings)
    if not changed:
        click.echo(f"no changes against {base or 'HEAD'} in {path}", err=True)
    report = repair_tree(
        root,
        changed,
        runner=_review_runner(settings.sandbox),
        settings=validation,
        options=EngineOptions(provider=provider, rounds=rounds, max_tokens=settings.model_max_tokens),
    )
    rendered = render(report, output_format, root, max_fixes=max_suggestions)
    for warning in rendered.warnings:
        click.echo(f"warning: {warning}", err=True)
    if output is None:
        click.echo(rendered.output, nl=False)
    else:
        try:
            output.write_text(rendered.output, encoding="utf-8")
        except OSError as error:
            raise _ReviewInputError(f"cannot write {output}: {error.strerror or error}") from error
    sys.exit(1 if report.outcomes else 0)


@main.group("config")
def config_group() -> None:
    """Inspect settings."""


@config_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def config_list(ctx: click.Context, as_json: bool) -> None:
    """Every setting, its value (secrets masked) and where it came from."""
    try:
        rows = explain_settings(ctx.find_root().obj)
    except ConfigError as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        data: list[dict[str, Any]] = [{"key": k, "value": v, "source": s} for k, v, s in rows]
        click.echo(json.dumps(data, indent=2))
        return
    width = max(len(key) for key, _, _ in rows)
    for key, value, source in rows:
        click.echo(f"{key.ljust(width)}  {value}  ({source})")


if __name__ == "__main__":
    main()
