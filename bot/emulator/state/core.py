"""The emulated GitHub's stored records and the lookups every part of the state shares.

`StateCore` owns the data and the lock; the mixins in this package add the public operations, one area
each. Methods starting with an underscore expect the caller to hold the lock.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from bot.emulator.diffing import FileDiff, blob_sha, diff_trees
from bot.emulator.errors import EmulatorError, not_found
from bot.emulator.faults import FaultInjector
from bot.emulator.gitdata import build_trees
from bot.emulator.limits import PrimaryLimits, SecondaryLimits
from bot.emulator.model import (
    Account,
    CheckRun,
    CommentKind,
    Commit,
    Installation,
    IssueComment,
    Pull,
    Reaction,
    Repository,
    Review,
    ReviewComment,
    Token,
)
from bot.emulator.render import PullFacts, Site, pull_json, repository_json

GITHUB_API_URL = "https://api.github.com"
GITHUB_HTML_URL = "https://github.com"
DEFAULT_RATE_LIMIT = 5000
DEFAULT_GRAPHQL_RATE_LIMIT = 5000
UNAUTHENTICATED_RATE_LIMIT = 60
DEFAULT_PERMISSIONS: Mapping[str, str] = {
    "checks": "write",
    "contents": "read",
    "issues": "write",
    "metadata": "read",
    "pull_requests": "write",
}
_ID_STARTS: Mapping[str, int] = {
    "account": 1001,
    "installation": 40001,
    "repository": 700001,
    "commit": 1,
    "pull": 1_500_001,
    "issue": 2_100_000_001,
    "review": 80_000_001,
    "comment": 900_000_001,
    "issue_comment": 1_200_000_001,
    "reaction": 150_000_001,
    "check_run": 20_000_000_001,
    "check_suite": 9_000_000_001,
}
_PULLS_DOCS = "https://docs.github.com/rest/pulls/pulls#get-a-pull-request"


def split_full_name(full_name: str) -> tuple[str, str]:
    owner, _, name = full_name.partition("/")
    if not owner or not name or "/" in name:
        raise ValueError(f"not an owner/name repository name: {full_name!r}")
    return owner, name


def as_bytes(content: str | bytes) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else bytes(content)


class StateCore:
    """An in-memory GitHub for one GitHub App: the records, the counters and the shared lookups."""

    def __init__(
        self,
        *,
        app_id: int,
        app_public_key_pem: str,
        app_slug: str = "maze",
        app_owner_login: str = "maze-review",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app_id = app_id
        self.app_slug = app_slug
        self.app_public_key_pem = app_public_key_pem
        self.clock = clock
        self.api_url = GITHUB_API_URL
        self.html_url = GITHUB_HTML_URL
        self.permissions: dict[str, str] = dict(DEFAULT_PERMISSIONS)
        self.rate_limit = DEFAULT_RATE_LIMIT
        self.graphql_rate_limit = DEFAULT_GRAPHQL_RATE_LIMIT
        self.secondary_write_limit_per_minute = 80
        self.secondary_write_limit_per_hour = 500
        self.max_concurrent_requests = 100
        self.tree_entry_limit = 100_000
        self.contract_checks = True
        self.contract_violations: list[str] = []
        self.request_log: list[tuple[str, str, int]] = []
        self.tokens_minted: dict[int, int] = {}
        self.download_secret = secrets.token_bytes(32)
        self._lock = threading.RLock()
        self._created_at = clock()
        self._ids = {kind: itertools.count(start) for kind, start in _ID_STARTS.items()}
        self._accounts: dict[str, Account] = {}
        self._installations: dict[int, Installation] = {}
        self._repositories: dict[str, Repository] = {}
        self._reviews: dict[int, Review] = {}
        self._comments: dict[int, ReviewComment] = {}
        self._issue_comments: dict[int, IssueComment] = {}
        self._reactions: dict[int, Reaction] = {}
        self._check_runs: dict[int, CheckRun] = {}
        self._tokens: dict[str, Token] = {}
        self._primary = PrimaryLimits()
        self._secondary = SecondaryLimits()
        self._faults = FaultInjector()
        self._diff_cache: dict[tuple[str, str, str], list[FileDiff]] = {}
        self._bot = Account(self.bot_login, self._next_id("account"), "Bot")
        self._accounts[self._bot.login] = self._bot
        self._app_owner = self._account(app_owner_login, "Organization")

    @property
    def bot_login(self) -> str:
        return f"{self.app_slug}[bot]"

    # ----- shared lookups (callers hold the lock) --------------------------------------------------

    def _site(self) -> Site:
        return Site(
            self.api_url,
            self.html_url,
            self.app_id,
            self.app_slug,
            self._created_at,
            dict(self.permissions),
            len(self._installations),
        )

    def _next_id(self, kind: str) -> int:
        return next(self._ids[kind])

    def _account(self, login: str, account_type: str = "User") -> Account:
        account = self._accounts.get(login)
        if account is None:
            account = Account(login, self._next_id("account"), account_type)
            self._accounts[login] = account
        return account

    def _installation(self, installation_id: int) -> Installation:
        installation = self._installations.get(installation_id)
        if installation is None:
            raise not_found("https://docs.github.com/rest/apps/apps")
        return installation

    def _repo(self, full_name: str) -> Repository:
        repo = self._repositories.get(full_name)
        if repo is None:
            raise not_found("https://docs.github.com/rest/repos/repos#get-a-repository")
        return repo

    def _pull(self, repo: Repository, number: int) -> Pull:
        pull = repo.pulls.get(number)
        if pull is None:
            raise not_found(_PULLS_DOCS)
        return pull

    def _new_commit(
        self, repo: Repository, tree: dict[str, bytes], parent: str | None, message: str, author: Account
    ) -> Commit:
        serial = self._next_id("commit")
        tree_sha, trees = build_trees(tree)
        digest = hashlib.sha1(f"{repo.full_name}\0{tree_sha}\0{parent}\0{serial}\0{message}".encode())
        commit = Commit(digest.hexdigest(), tree, tree_sha, parent, message, self.clock(), author)
        repo.commits[commit.sha] = commit
        repo.trees.update(trees)
        repo.blobs.update({blob_sha(data): data for data in tree.values()})
        return commit

    def _ancestry(self, repo: Repository, sha: str) -> Iterator[str]:
        current: str | None = sha
        while current is not None:
            yield current
            current = repo.commits[current].parent

    def _merge_base(self, repo: Repository, base_sha: str, head_sha: str) -> str:
        head_ancestors = set(self._ancestry(repo, head_sha))
        for sha in self._ancestry(repo, base_sha):
            if sha in head_ancestors:
                return sha
        raise ValueError(f"{base_sha} and {head_sha} share no history")

    def _pull_base(self, repo: Repository, pull: Pull) -> str:
        return self._merge_base(repo, repo.branches[pull.base_ref], pull.head_sha)

    def _pull_diffs(self, repo: Repository, pull: Pull) -> list[FileDiff]:
        """The three-dot diff GitHub shows: from the merge base of base and head to head."""
        return self._diff(repo, self._pull_base(repo, pull), pull.head_sha)

    def _diff(self, repo: Repository, old_sha: str | None, new_sha: str) -> list[FileDiff]:
        key = (repo.full_name, old_sha or "", new_sha)
        if key not in self._diff_cache:
            old_tree = repo.commits[old_sha].tree if old_sha else {}
            self._diff_cache[key] = diff_trees(old_tree, repo.commits[new_sha].tree)
        return self._diff_cache[key]

    def _pull_commits(self, repo: Repository, pull: Pull) -> list[Commit]:
        """The pull request's commits, oldest first."""
        base = self._pull_base(repo, pull)
        shas = itertools.takewhile(lambda sha: sha != base, self._ancestry(repo, pull.head_sha))
        return [repo.commits[sha] for sha in reversed(list(shas))]

    def _resolve_ref(self, repo: Repository, ref: str, *, status: int = 404) -> str:
        """The commit SHA of a branch name (optionally `refs/heads/` or `heads/`) or a (short) commit SHA."""
        name = ref.removeprefix("refs/").removeprefix("heads/")
        if name in repo.branches:
            return repo.branches[name]
        if re.fullmatch(r"[0-9a-f]{7,40}", ref):
            matches = [sha for sha in repo.commits if sha.startswith(ref)]
            if len(matches) == 1:
                return matches[0]
        message = f"No commit found for the ref {ref}" if status == 404 else f"No commit found for SHA: {ref}"
        raise EmulatorError(
            status,
            message,
            documentation_url="https://docs.github.com/rest/repos/contents#get-repository-content",
        )

    def _reactions_of(self, kind: CommentKind, comment_id: int) -> list[Reaction]:
        return [r for r in self._reactions.values() if (r.kind, r.comment_id) == (kind, comment_id)]

    def _issue_comments_of(self, full_name: str, number: int) -> list[IssueComment]:
        return [c for c in self._issue_comments.values() if (c.full_name, c.number) == (full_name, number)]

    def _review_comments_of(self, full_name: str, number: int) -> list[ReviewComment]:
        return [c for c in self._comments.values() if (c.full_name, c.number) == (full_name, number)]

    def _repository_json(self, repo: Repository) -> dict[str, Any]:
        return repository_json(self._site(), repo)

    def _pull_json(self, repo: Repository, pull: Pull) -> dict[str, Any]:
        diffs = self._pull_diffs(repo, pull)
        facts = PullFacts(
            base_sha=repo.branches[pull.base_ref],
            commits=len(self._pull_commits(repo, pull)),
            additions=sum(diff.additions for diff in diffs),
            deletions=sum(diff.deletions for diff in diffs),
            changed_files=len(diffs),
            review_comments=len(self._review_comments_of(repo.full_name, pull.number)),
            comments=len(self._issue_comments_of(repo.full_name, pull.number)),
        )
        return pull_json(self._site(), repo, pull, facts)
