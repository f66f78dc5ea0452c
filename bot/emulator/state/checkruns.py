"""Check runs of the app on a repository's commits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.emulator.checks import apply_update, new_check_run
from bot.emulator.errors import CHECKS_DOCS_URL, EmulatorError, not_found
from bot.emulator.model import CheckRun, Repository
from bot.emulator.render import pull_minimal_json
from bot.emulator.render_discussion import annotation_json, check_run_json
from bot.emulator.state.core import StateCore


class CheckRunState(StateCore):
    """Creating, updating and listing check runs."""

    def create_check_run(self, full_name: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """`POST check-runs`: validated completely before anything is stored (see `bot.emulator.checks`)."""
        with self._lock:
            repo = self._repo(full_name)
            run = new_check_run(
                body, self._next_id("check_run"), full_name, self._suite_id(repo, body), self.clock()
            )
            if run.head_sha not in repo.commits:
                raise EmulatorError(
                    422, f"No commit found for SHA: {run.head_sha}", documentation_url=CHECKS_DOCS_URL
                )
            self._check_runs[run.id] = run
            return self._check_run_json(repo, run)

    def update_check_run(self, full_name: str, check_run_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
        """`PATCH check-runs/{id}`: annotations add to those already there; nothing changes on a 422."""
        with self._lock:
            run = self._find_check_run(full_name, check_run_id)
            apply_update(run, body, self.clock())
            return self._check_run_json(self._repo(full_name), run)

    def check_run(self, full_name: str, check_run_id: int) -> dict[str, Any]:
        with self._lock:
            return self._check_run_json(self._repo(full_name), self._find_check_run(full_name, check_run_id))

    def check_runs_for_ref(
        self,
        full_name: str,
        ref: str,
        *,
        check_name: str | None = None,
        status: str | None = None,
        latest_only: bool = True,
    ) -> list[dict[str, Any]]:
        """`GET commits/{ref}/check-runs`: newest first; with `latest_only`, only the newest run per name."""
        with self._lock:
            repo = self._repo(full_name)
            sha = self._resolve_ref(repo, ref, status=422)
            runs = sorted(
                (
                    run
                    for run in self._check_runs.values()
                    if (run.full_name, run.head_sha) == (full_name, sha)
                ),
                key=lambda run: run.id,
                reverse=True,
            )
            if latest_only:
                newest: dict[str, CheckRun] = {}
                for run in runs:
                    newest.setdefault(run.name, run)
                runs = list(newest.values())
            selected = [
                run
                for run in runs
                if (check_name is None or run.name == check_name) and (status is None or run.status == status)
            ]
            return [self._check_run_json(repo, run) for run in selected]

    def check_run_annotations(self, full_name: str, check_run_id: int) -> list[dict[str, Any]]:
        with self._lock:
            run = self._find_check_run(full_name, check_run_id)
            site = self._site()
            return [annotation_json(run, annotation, site) for annotation in run.annotations]

    def _find_check_run(self, full_name: str, check_run_id: int) -> CheckRun:
        self._repo(full_name)
        run = self._check_runs.get(check_run_id)
        if run is None or run.full_name != full_name:
            raise not_found(CHECKS_DOCS_URL)
        return run

    def _suite_id(self, repo: Repository, body: Mapping[str, Any]) -> int:
        """The app's check suite for the head SHA: shared by every run of the app on that commit."""
        head_sha = body.get("head_sha")
        for run in self._check_runs.values():
            if (run.full_name, run.head_sha) == (repo.full_name, head_sha):
                return run.check_suite_id
        return self._next_id("check_suite")

    def _check_run_json(self, repo: Repository, run: CheckRun) -> dict[str, Any]:
        site = self._site()
        pulls = [
            pull_minimal_json(site, repo, pull, repo.branches[pull.base_ref])
            for pull in repo.pulls.values()
            if pull.state == "open" and pull.head_sha == run.head_sha
        ]
        return check_run_json(site, run, self._app_owner, pulls)
