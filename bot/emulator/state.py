"""The emulator's in-memory GitHub: installations, repositories, commits, pull requests, reviews and tokens.

Every public method takes the state's lock, so tests may read the state from one thread while the emulator
serves requests from another. JSON is rendered on read, in the shapes of GitHub's REST API, with URLs under
`api_url` (set to the emulator's own address when it serves) and `html_url`.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import secrets
import string
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from bot.emulator.diffing import DiffLine, FileDiff, Hunk, Side, blob_sha, diff_trees

GITHUB_API_URL = "https://api.github.com"
GITHUB_HTML_URL = "https://github.com"
DOCS_URL = "https://docs.github.com/rest"
REVIEWS_DOCS_URL = "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request"
TOKEN_LIFETIME_SECONDS = 3600
RATE_LIMIT_WINDOW_SECONDS = 3600
DEFAULT_RATE_LIMIT = 5000
UNAUTHENTICATED_RATE_LIMIT = 60
MAX_CONTENT_BYTES = 1024 * 1024
DEFAULT_PERMISSIONS: Mapping[str, str] = {
    "checks": "write",
    "contents": "read",
    "issues": "write",
    "metadata": "read",
    "pull_requests": "write",
}
_ERROR_MESSAGES: Mapping[int, str] = {
    400: "Bad Request",
    401: "Bad credentials",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    422: "Validation Failed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Server Error",
    503: "Service Unavailable",
}
_REVIEW_EVENTS: Mapping[str, str] = {
    "APPROVE": "APPROVED",
    "REQUEST_CHANGES": "CHANGES_REQUESTED",
    "COMMENT": "COMMENTED",
}
_LINE_NOT_IN_DIFF = (
    "Pull request review thread line must be part of the diff and "
    "Pull request review thread diff hunk can't be blank"
)
_START_NOT_IN_HUNK = "Pull request review thread start line must be part of the same hunk as the line."
_START_NOT_BEFORE_LINE = "Pull request review thread start line must precede the end line."


class EmulatorError(Exception):
    """An HTTP error the emulator answers with GitHub's error body."""

    def __init__(
        self,
        status: int,
        message: str | None = None,
        *,
        errors: Sequence[Any] | None = None,
        documentation_url: str = DOCS_URL,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.message = message or _ERROR_MESSAGES.get(status, "Error")
        self.errors = list(errors) if errors is not None else None
        self.documentation_url = documentation_url
        self.headers = dict(headers or {})
        super().__init__(f"{status} {self.message}")

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        body["documentation_url"] = self.documentation_url
        body["status"] = str(self.status)
        return body


def _unprocessable(*errors: str) -> EmulatorError:
    return EmulatorError(422, "Unprocessable Entity", errors=list(errors), documentation_url=REVIEWS_DOCS_URL)


def _invalid_request(detail: str) -> EmulatorError:
    return EmulatorError(422, f"Invalid request.\n\n{detail}", documentation_url=REVIEWS_DOCS_URL)


def node_id(type_name: str, number: int) -> str:
    """GitHub's legacy global node id: base64 of "0<len>:<Type><id>"."""
    raw = f"0{len(type_name)}:{type_name}{number}"
    return base64.b64encode(raw.encode()).decode()


def iso8601(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def github_base64(data: bytes) -> str:
    """Base64 as the contents API shows it: a newline after every 60 characters, and at the end."""
    encoded = base64.b64encode(data).decode("ascii")
    return "".join(encoded[start : start + 60] + "\n" for start in range(0, len(encoded), 60))


def _as_bytes(content: str | bytes) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else bytes(content)


@dataclass
class _Account:
    login: str
    id: int
    type: str


@dataclass
class _Installation:
    id: int
    account: _Account
    created_at: float


@dataclass
class _Commit:
    sha: str
    tree: dict[str, bytes]
    parent: str | None
    message: str
    timestamp: float


@dataclass
class _Pull:
    number: int
    id: int
    head_ref: str
    base_ref: str
    head_sha: str
    title: str
    body: str
    user: _Account
    created_at: float
    updated_at: float
    head_history: list[str] = field(default_factory=list)
    state: str = "open"


@dataclass
class _Repository:
    id: int
    name: str
    owner: _Account
    installation_id: int
    default_branch: str
    private: bool
    created_at: float
    pushed_at: float
    branches: dict[str, str] = field(default_factory=dict)
    commits: dict[str, _Commit] = field(default_factory=dict)
    pulls: dict[int, _Pull] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"


@dataclass
class _Review:
    id: int
    full_name: str
    number: int
    user: _Account
    body: str
    state: str
    commit_id: str
    submitted_at: float | None
    comment_ids: list[int] = field(default_factory=list)


@dataclass
class _ReviewComment:
    id: int
    review_id: int
    full_name: str
    number: int
    user: _Account
    body: str
    path: str
    commit_id: str
    diff_hunk: str
    position: int
    line: int
    side: Side
    start_line: int | None
    start_side: Side | None
    created_at: float


@dataclass
class _Anchor:
    """A validated review comment, ready to be stored."""

    path: str
    body: str
    line: int
    side: Side
    start_line: int | None
    start_side: Side | None
    hunk: Hunk
    target: DiffLine


@dataclass
class _Token:
    installation_id: int
    expires_at: float


@dataclass
class _Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    remaining: int
    headers: dict[str, str]
    message: str | None


@dataclass(frozen=True)
class RateLimit:
    """The quota of one identity after counting a request."""

    limit: int
    remaining: int
    reset: int
    used: int
    exceeded: bool


class EmulatorState:
    """An in-memory GitHub for one GitHub App."""

    def __init__(
        self,
        *,
        app_id: int,
        app_public_key_pem: str,
        app_slug: str = "maze",
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
        self.request_log: list[tuple[str, str, int]] = []
        self.tokens_minted: dict[int, int] = {}
        self._lock = threading.RLock()
        self._created_at = clock()
        self._ids = {kind: itertools.count(start) for kind, start in _ID_STARTS.items()}
        self._accounts: dict[str, _Account] = {}
        self._installations: dict[int, _Installation] = {}
        self._repositories: dict[str, _Repository] = {}
        self._reviews: dict[int, _Review] = {}
        self._comments: dict[int, _ReviewComment] = {}
        self._tokens: dict[str, _Token] = {}
        self._quotas: dict[str, tuple[int, int]] = {}
        self._faults: list[_Fault] = []
        self._diff_cache: dict[tuple[str, str, str], list[FileDiff]] = {}
        self._bot = _Account(self.bot_login, self._next_id("account"), "Bot")
        self._accounts[self._bot.login] = self._bot

    @property
    def bot_login(self) -> str:
        return f"{self.app_slug}[bot]"

    # ----- building the world ---------------------------------------------------------------------

    def add_installation(self, account_login: str, account_type: str = "Organization") -> int:
        """Install the app on an account ("Organization" or "User"); returns the installation id."""
        with self._lock:
            account = self._account(account_login, account_type)
            installation = _Installation(self._next_id("installation"), account, self.clock())
            self._installations[installation.id] = installation
            return installation.id

    def create_repository(
        self,
        installation_id: int,
        full_name: str,
        files: Mapping[str, str | bytes],
        *,
        default_branch: str = "main",
        private: bool = False,
    ) -> dict[str, Any]:
        """Create a repository of the installation's account, with one commit holding `files`."""
        with self._lock:
            installation = self._installation(installation_id)
            owner_login, name = _split_full_name(full_name)
            if owner_login != installation.account.login:
                raise ValueError(f"{full_name} is not owned by {installation.account.login}")
            if full_name in self._repositories:
                raise ValueError(f"repository {full_name} already exists")
            now = self.clock()
            repo = _Repository(
                self._next_id("repository"),
                name,
                installation.account,
                installation_id,
                default_branch,
                private,
                now,
                now,
            )
            tree = {path: _as_bytes(content) for path, content in files.items()}
            commit = self._commit(repo, tree, None, "Initial commit")
            repo.branches[default_branch] = commit.sha
            self._repositories[full_name] = repo
            return self._repository_json(repo)

    def push(
        self,
        full_name: str,
        branch: str,
        changes: Mapping[str, str | bytes | None],
        *,
        message: str = "Update files",
    ) -> str:
        """Commit `changes` (None deletes a path) on `branch`, created from the default branch if missing."""
        with self._lock:
            repo = self._repo(full_name)
            parent_sha = repo.branches.get(branch) or repo.branches[repo.default_branch]
            tree = dict(repo.commits[parent_sha].tree)
            for path, content in changes.items():
                if content is None:
                    tree.pop(path, None)
                else:
                    tree[path] = _as_bytes(content)
            commit = self._commit(repo, tree, parent_sha, message)
            repo.branches[branch] = commit.sha
            repo.pushed_at = commit.timestamp
            for pull in repo.pulls.values():
                if pull.state == "open" and pull.head_ref == branch:
                    pull.head_sha = commit.sha
                    pull.head_history.append(commit.sha)
                    pull.updated_at = commit.timestamp
            return commit.sha

    def open_pull_request(
        self,
        full_name: str,
        *,
        head: str,
        base: str | None = None,
        title: str = "Update",
        body: str = "",
        user_login: str = "octocat",
    ) -> dict[str, Any]:
        """Open a pull request from branch `head` into `base` (default: the default branch)."""
        with self._lock:
            repo = self._repo(full_name)
            base_ref = base or repo.default_branch
            for ref in (head, base_ref):
                if ref not in repo.branches:
                    raise ValueError(f"{full_name} has no branch {ref!r}")
            for pull in repo.pulls.values():
                if pull.state == "open" and (pull.head_ref, pull.base_ref) == (head, base_ref):
                    raise ValueError(f"A pull request already exists for {repo.owner.login}:{head}.")
            if repo.branches[head] == repo.branches[base_ref]:
                raise ValueError(f"No commits between {base_ref} and {head}")
            now = self.clock()
            number = len(repo.pulls) + 1
            head_sha = repo.branches[head]
            pull = _Pull(
                number,
                self._next_id("pull"),
                head,
                base_ref,
                head_sha,
                title,
                body,
                self._account(user_login, "User"),
                now,
                now,
                [head_sha],
            )
            repo.pulls[number] = pull
            return self._pull_json(repo, pull)

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        times: int = 1,
        headers: Mapping[str, str] | None = None,
        message: str | None = None,
    ) -> None:
        """Make the next `times` requests whose method matches (or "*") and whose path matches `path_regex`
        (searched, not full-matched) answer `status` with a GitHub error body and `headers`."""
        with self._lock:
            fault = _Fault(
                method.upper(), re.compile(path_regex), status, times, dict(headers or {}), message
            )
            self._faults.append(fault)

    # ----- reading the world as GitHub shows it ---------------------------------------------------

    def repository(self, full_name: str) -> dict[str, Any]:
        with self._lock:
            return self._repository_json(self._repo(full_name))

    def pull_request(self, full_name: str, number: int) -> dict[str, Any]:
        with self._lock:
            repo = self._repo(full_name)
            return self._pull_json(repo, self._pull(repo, number))

    def pull_request_files(self, full_name: str, number: int) -> list[dict[str, Any]]:
        """The PR's changed files as `GET pulls/{n}/files` lists them (all pages, at most 3000)."""
        with self._lock:
            repo = self._repo(full_name)
            pull = self._pull(repo, number)
            return [self._file_json(repo, pull.head_sha, diff) for diff in self._pull_diffs(repo, pull)][
                :3000
            ]

    def reviews(self, full_name: str, number: int) -> list[dict[str, Any]]:
        with self._lock:
            repo = self._repo(full_name)
            self._pull(repo, number)
            return [self._review_json(review) for review in self._reviews_of(full_name, number)]

    def review(self, full_name: str, number: int, review_id: int) -> dict[str, Any]:
        with self._lock:
            return self._review_json(self._find_review(full_name, number, review_id))

    def review_comments(self, full_name: str, number: int) -> list[dict[str, Any]]:
        with self._lock:
            repo = self._repo(full_name)
            self._pull(repo, number)
            return [
                self._comment_json(comment)
                for comment in self._comments.values()
                if (comment.full_name, comment.number) == (full_name, number)
            ]

    def comments_of_review(self, full_name: str, number: int, review_id: int) -> list[dict[str, Any]]:
        with self._lock:
            review = self._find_review(full_name, number, review_id)
            return [self._comment_json(self._comments[comment_id]) for comment_id in review.comment_ids]

    def contents(self, full_name: str, path: str, ref: str | None = None) -> dict[str, Any] | list[Any]:
        """`GET contents/{path}`: a file object, or a list of entries for a directory; 404 otherwise."""
        with self._lock:
            repo = self._repo(full_name)
            ref_name = ref or repo.default_branch
            tree = repo.commits[self._resolve_ref(repo, ref_name)].tree
            path = path.strip("/")
            if path in tree:
                return self._content_json(repo, ref_name, path, tree[path], with_content=True)
            entries = self._directory(repo, ref_name, tree, path)
            if not entries:
                raise EmulatorError(
                    404,
                    documentation_url="https://docs.github.com/rest/repos/contents#get-repository-content",
                )
            return entries

    def head_history(self, full_name: str, number: int) -> list[str]:
        """Every head SHA the pull request has had, oldest first."""
        with self._lock:
            repo = self._repo(full_name)
            return list(self._pull(repo, number).head_history)

    def installation_of(self, full_name: str) -> int:
        with self._lock:
            return self._repo(full_name).installation_id

    def installation(self, installation_id: int) -> dict[str, Any]:
        with self._lock:
            return self._installation_json(self._installation(installation_id))

    def installation_ids(self) -> list[int]:
        with self._lock:
            return sorted(self._installations)

    def account(self, login: str) -> dict[str, Any]:
        """The simple-user JSON of a known account."""
        with self._lock:
            if login not in self._accounts:
                raise KeyError(f"unknown account {login!r}")
            return self._user_json(self._accounts[login])

    def organization(self, login: str) -> dict[str, Any]:
        """The organization JSON that webhook payloads carry."""
        with self._lock:
            account = self._accounts[login]
            base = f"{self.api_url}/orgs/{quote(login)}"
            return {
                "login": login,
                "id": account.id,
                "node_id": node_id("Organization", account.id),
                "url": base,
                "repos_url": f"{base}/repos",
                "events_url": f"{base}/events",
                "hooks_url": f"{base}/hooks",
                "issues_url": f"{base}/issues",
                "members_url": f"{base}/members{{/member}}",
                "public_members_url": f"{base}/public_members{{/member}}",
                "avatar_url": _avatar(account.id),
                "description": "",
            }

    def app_json(self) -> dict[str, Any]:
        """`GET /app`."""
        with self._lock:
            now = iso8601(self._created_at)
            return {
                "id": self.app_id,
                "slug": self.app_slug,
                "node_id": node_id("Integration", self.app_id),
                "client_id": f"Iv1.{self.app_id:016x}",
                "name": self.app_slug,
                "description": "",
                "external_url": f"{self.html_url}/apps/{self.app_slug}",
                "html_url": f"{self.html_url}/apps/{self.app_slug}",
                "created_at": now,
                "updated_at": now,
                "permissions": dict(self.permissions),
                "events": [
                    "pull_request",
                    "pull_request_review",
                    "pull_request_review_thread",
                    "issue_comment",
                ],
                "installations_count": len(self._installations),
            }

    # ----- mutations the HTTP API performs --------------------------------------------------------

    def mint_token(
        self, installation_id: int, permissions: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """A new installation token, valid for one hour (`POST /app/installations/{id}/access_tokens`)."""
        with self._lock:
            self._installation(installation_id)
            alphabet = string.ascii_letters + string.digits
            token = "ghs_" + "".join(secrets.choice(alphabet) for _ in range(36))
            expires_at = self.clock() + TOKEN_LIFETIME_SECONDS
            self._tokens[token] = _Token(installation_id, expires_at)
            self.tokens_minted[installation_id] = self.tokens_minted.get(installation_id, 0) + 1
            return {
                "token": token,
                "expires_at": iso8601(expires_at),
                "permissions": dict(permissions or self.permissions),
                "repository_selection": "all",
            }

    def installation_for_token(self, token: str) -> int | None:
        """The installation of an unexpired token, or None."""
        with self._lock:
            entry = self._tokens.get(token)
            if entry is None or entry.expires_at <= self.clock():
                return None
            return entry.installation_id

    def expire_tokens(self) -> None:
        """Expire every installation token now (as if an hour had passed for them)."""
        with self._lock:
            for entry in self._tokens.values():
                entry.expires_at = self.clock()

    def has_installation(self, installation_id: int) -> bool:
        with self._lock:
            return installation_id in self._installations

    def check_access(self, full_name: str, installation_id: int | None, *, write: bool) -> None:
        """Another installation's token, or none, reads a public repository and cannot see a private one."""
        with self._lock:
            repo = self._repo(full_name)
            if repo.installation_id == installation_id:
                return
            if repo.private:
                raise EmulatorError(404)
            if write:
                raise EmulatorError(403, "Resource not accessible by integration")

    def create_review(self, full_name: str, number: int, payload: Mapping[str, Any]) -> dict[str, Any]:
        """`POST pulls/{n}/reviews` by the app's bot: validates everything first and stores all or nothing."""
        with self._lock:
            repo = self._repo(full_name)
            pull = self._pull(repo, number)
            event, body, commit_id, raw_comments = _review_fields(payload)
            state = _REVIEW_EVENTS[event] if event else "PENDING"
            if commit_id is not None and commit_id != pull.head_sha:
                raise _unprocessable(f"Commit {commit_id} is not the head of the pull request.")
            if event in ("REQUEST_CHANGES", "COMMENT") and not body and not raw_comments:
                raise _unprocessable(f"Body is required for the {event} event when there are no comments.")
            if state == "PENDING" and self._pending_review(full_name, number) is not None:
                raise _unprocessable("User can only have one pending review per pull request")
            diffs = {diff.path: diff for diff in self._pull_diffs(repo, pull)}
            anchors = [_anchor(comment, diffs) for comment in raw_comments]
            return self._store_review(repo, pull, state, body, anchors)

    def update_review(self, full_name: str, number: int, review_id: int, body: Any) -> dict[str, Any]:
        """`PUT pulls/{n}/reviews/{id}`: replace the review's body."""
        with self._lock:
            review = self._find_review(full_name, number, review_id)
            if not isinstance(body, str):
                raise _invalid_request('"body" wasn\'t supplied.')
            review.body = body
            return self._review_json(review)

    def consume_rate_limit(self, identity: str, limit: int | None = None) -> RateLimit:
        """Count one request for `identity` in its hourly window."""
        with self._lock:
            limit = self.rate_limit if limit is None else limit
            now = int(self.clock())
            reset, used = self._quotas.get(identity, (now + RATE_LIMIT_WINDOW_SECONDS, 0))
            if now >= reset:
                reset, used = now + RATE_LIMIT_WINDOW_SECONDS, 0
            exceeded = used >= limit
            if not exceeded:
                used += 1
            self._quotas[identity] = (reset, used)
            return RateLimit(limit, max(limit - used, 0), reset, used, exceeded)

    def peek_rate_limit(self, identity: str, limit: int | None = None) -> RateLimit:
        """The quota of `identity` without counting a request."""
        with self._lock:
            limit = self.rate_limit if limit is None else limit
            now = int(self.clock())
            reset, used = self._quotas.get(identity, (now + RATE_LIMIT_WINDOW_SECONDS, 0))
            if now >= reset:
                reset, used = now + RATE_LIMIT_WINDOW_SECONDS, 0
            return RateLimit(limit, max(limit - used, 0), reset, used, used >= limit)

    def take_fault(self, method: str, path: str) -> EmulatorError | None:
        """The injected error for this request, if one is armed (each use counts down its `times`)."""
        with self._lock:
            for fault in self._faults:
                if fault.method in ("*", method.upper()) and fault.pattern.search(path):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return EmulatorError(
                        fault.status, fault.message or _fault_message(fault), headers=fault.headers
                    )
            return None

    def log_request(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.request_log.append((method, path, status))

    # ----- internals ------------------------------------------------------------------------------

    def _next_id(self, kind: str) -> int:
        return next(self._ids[kind])

    def _account(self, login: str, account_type: str) -> _Account:
        account = self._accounts.get(login)
        if account is None:
            account = _Account(login, self._next_id("account"), account_type)
            self._accounts[login] = account
        return account

    def _installation(self, installation_id: int) -> _Installation:
        installation = self._installations.get(installation_id)
        if installation is None:
            raise EmulatorError(404, documentation_url="https://docs.github.com/rest/apps/apps")
        return installation

    def _repo(self, full_name: str) -> _Repository:
        repo = self._repositories.get(full_name)
        if repo is None:
            raise EmulatorError(
                404, documentation_url="https://docs.github.com/rest/repos/repos#get-a-repository"
            )
        return repo

    def _pull(self, repo: _Repository, number: int) -> _Pull:
        pull = repo.pulls.get(number)
        if pull is None:
            raise EmulatorError(
                404, documentation_url="https://docs.github.com/rest/pulls/pulls#get-a-pull-request"
            )
        return pull

    def _commit(self, repo: _Repository, tree: dict[str, bytes], parent: str | None, message: str) -> _Commit:
        serial = self._next_id("commit")
        digest = hashlib.sha1()
        for path in sorted(tree):
            digest.update(f"{path}\0{blob_sha(tree[path])}\n".encode())
        digest.update(f"{repo.full_name}\0{parent}\0{serial}\0{message}".encode())
        commit = _Commit(digest.hexdigest(), tree, parent, message, self.clock())
        repo.commits[commit.sha] = commit
        return commit

    def _ancestry(self, repo: _Repository, sha: str) -> Iterator[str]:
        current: str | None = sha
        while current is not None:
            yield current
            current = repo.commits[current].parent

    def _merge_base(self, repo: _Repository, base_sha: str, head_sha: str) -> str:
        head_ancestors = set(self._ancestry(repo, head_sha))
        for sha in self._ancestry(repo, base_sha):
            if sha in head_ancestors:
                return sha
        raise ValueError(f"{base_sha} and {head_sha} share no history")

    def _pull_diffs(self, repo: _Repository, pull: _Pull) -> list[FileDiff]:
        """The three-dot diff GitHub shows: from the merge base of base and head to head."""
        base = self._merge_base(repo, repo.branches[pull.base_ref], pull.head_sha)
        key = (repo.full_name, base, pull.head_sha)
        if key not in self._diff_cache:
            self._diff_cache[key] = diff_trees(repo.commits[base].tree, repo.commits[pull.head_sha].tree)
        return self._diff_cache[key]

    def _resolve_ref(self, repo: _Repository, ref: str) -> str:
        name = ref.removeprefix("refs/heads/")
        if name in repo.branches:
            return repo.branches[name]
        if re.fullmatch(r"[0-9a-f]{7,40}", ref):
            matches = [sha for sha in repo.commits if sha.startswith(ref)]
            if len(matches) == 1:
                return matches[0]
        raise EmulatorError(
            404,
            f"No commit found for the ref {ref}",
            documentation_url="https://docs.github.com/rest/repos/contents#get-repository-content",
        )

    def _reviews_of(self, full_name: str, number: int) -> list[_Review]:
        return [
            review
            for review in self._reviews.values()
            if (review.full_name, review.number) == (full_name, number)
        ]

    def _pending_review(self, full_name: str, number: int) -> _Review | None:
        return next((r for r in self._reviews_of(full_name, number) if r.state == "PENDING"), None)

    def _find_review(self, full_name: str, number: int, review_id: int) -> _Review:
        self._pull(self._repo(full_name), number)
        review = self._reviews.get(review_id)
        if review is None or (review.full_name, review.number) != (full_name, number):
            raise EmulatorError(404, documentation_url="https://docs.github.com/rest/pulls/reviews")
        return review

    def _store_review(
        self, repo: _Repository, pull: _Pull, state: str, body: str, anchors: list[_Anchor]
    ) -> dict[str, Any]:
        now = self.clock()
        review = _Review(
            self._next_id("review"),
            repo.full_name,
            pull.number,
            self._bot,
            body,
            state,
            pull.head_sha,
            None if state == "PENDING" else now,
        )
        for anchor in anchors:
            comment = _ReviewComment(
                self._next_id("comment"),
                review.id,
                repo.full_name,
                pull.number,
                self._bot,
                anchor.body,
                anchor.path,
                pull.head_sha,
                anchor.hunk.text_through(anchor.target),
                anchor.target.position,
                anchor.line,
                anchor.side,
                anchor.start_line,
                anchor.start_side,
                now,
            )
            self._comments[comment.id] = comment
            review.comment_ids.append(comment.id)
        self._reviews[review.id] = review
        pull.updated_at = now
        return self._review_json(review)

    # ----- JSON rendering -------------------------------------------------------------------------

    def _user_json(self, account: _Account) -> dict[str, Any]:
        base = f"{self.api_url}/users/{quote(account.login)}"
        is_bot = account.type == "Bot"
        html = f"{self.html_url}/apps/{self.app_slug}" if is_bot else f"{self.html_url}/{account.login}"
        return {
            "login": account.login,
            "id": account.id,
            "node_id": node_id(account.type, account.id),
            "avatar_url": _avatar(account.id),
            "gravatar_id": "",
            "url": base,
            "html_url": html,
            "followers_url": f"{base}/followers",
            "following_url": f"{base}/following{{/other_user}}",
            "gists_url": f"{base}/gists{{/gist_id}}",
            "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{base}/subscriptions",
            "organizations_url": f"{base}/orgs",
            "repos_url": f"{base}/repos",
            "events_url": f"{base}/events{{/privacy}}",
            "received_events_url": f"{base}/received_events",
            "type": account.type,
            "user_view_type": "public",
            "site_admin": False,
        }

    def _installation_json(self, installation: _Installation) -> dict[str, Any]:
        created = iso8601(installation.created_at)
        return {
            "id": installation.id,
            "node_id": node_id("IntegrationInstallation", installation.id),
            "account": self._user_json(installation.account),
            "repository_selection": "all",
            "access_tokens_url": f"{self.api_url}/app/installations/{installation.id}/access_tokens",
            "repositories_url": f"{self.api_url}/installation/repositories",
            "html_url": f"{self.html_url}/settings/installations/{installation.id}",
            "app_id": self.app_id,
            "app_slug": self.app_slug,
            "target_id": installation.account.id,
            "target_type": installation.account.type,
            "permissions": dict(self.permissions),
            "events": ["pull_request", "pull_request_review", "pull_request_review_thread", "issue_comment"],
            "created_at": created,
            "updated_at": created,
            "single_file_name": None,
            "has_multiple_single_files": False,
            "single_file_paths": [],
            "suspended_by": None,
            "suspended_at": None,
        }

    def _repository_json(self, repo: _Repository) -> dict[str, Any]:
        full = repo.full_name
        api = f"{self.api_url}/repos/{full}"
        html = f"{self.html_url}/{full}"
        host = self.html_url.split("://", 1)[-1]
        return {
            "id": repo.id,
            "node_id": node_id("Repository", repo.id),
            "name": repo.name,
            "full_name": full,
            "owner": self._user_json(repo.owner),
            "private": repo.private,
            "html_url": html,
            "description": None,
            "fork": False,
            "url": api,
            **_repository_url_templates(api),
            "git_url": f"git://{host}/{full}.git",
            "ssh_url": f"git@{host}:{full}.git",
            "clone_url": f"{html}.git",
            "svn_url": html,
            "mirror_url": None,
            "homepage": None,
            "language": None,
            "forks_count": 0,
            "forks": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "watchers": 0,
            "size": sum(len(data) for data in repo.commits[repo.branches[repo.default_branch]].tree.values())
            // 1024,
            "default_branch": repo.default_branch,
            "open_issues_count": sum(1 for pull in repo.pulls.values() if pull.state == "open"),
            "open_issues": sum(1 for pull in repo.pulls.values() if pull.state == "open"),
            "is_template": False,
            "topics": [],
            "has_issues": True,
            "has_projects": True,
            "has_wiki": True,
            "has_pages": False,
            "has_downloads": True,
            "has_discussions": False,
            "archived": False,
            "disabled": False,
            "visibility": "private" if repo.private else "public",
            "pushed_at": iso8601(repo.pushed_at),
            "created_at": iso8601(repo.created_at),
            "updated_at": iso8601(repo.pushed_at),
            "permissions": {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True},
            "allow_rebase_merge": True,
            "allow_squash_merge": True,
            "allow_merge_commit": True,
            "allow_auto_merge": False,
            "delete_branch_on_merge": False,
            "allow_forking": True,
            "web_commit_signoff_required": False,
            "license": None,
            "network_count": 0,
            "subscribers_count": 0,
        }

    def _branch_json(self, repo: _Repository, ref: str, sha: str) -> dict[str, Any]:
        return {
            "label": f"{repo.owner.login}:{ref}",
            "ref": ref,
            "sha": sha,
            "user": self._user_json(repo.owner),
            "repo": self._repository_json(repo),
        }

    def _pull_json(self, repo: _Repository, pull: _Pull) -> dict[str, Any]:
        full, number = repo.full_name, pull.number
        api = f"{self.api_url}/repos/{full}"
        html = f"{self.html_url}/{full}/pull/{number}"
        diffs = self._pull_diffs(repo, pull)
        base_sha = repo.branches[pull.base_ref]
        merge_base = self._merge_base(repo, base_sha, pull.head_sha)
        commits = list(
            itertools.takewhile(lambda sha: sha != merge_base, self._ancestry(repo, pull.head_sha))
        )
        review_comments = sum(1 for c in self._comments.values() if (c.full_name, c.number) == (full, number))
        return {
            "url": f"{api}/pulls/{number}",
            "id": pull.id,
            "node_id": node_id("PullRequest", pull.id),
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "issue_url": f"{api}/issues/{number}",
            "commits_url": f"{api}/pulls/{number}/commits",
            "review_comments_url": f"{api}/pulls/{number}/comments",
            "review_comment_url": f"{api}/pulls/comments{{/number}}",
            "comments_url": f"{api}/issues/{number}/comments",
            "statuses_url": f"{api}/statuses/{pull.head_sha}",
            "number": number,
            "state": pull.state,
            "locked": False,
            "title": pull.title,
            "user": self._user_json(pull.user),
            "body": pull.body,
            "labels": [],
            "milestone": None,
            "active_lock_reason": None,
            "created_at": iso8601(pull.created_at),
            "updated_at": iso8601(pull.updated_at),
            "closed_at": None,
            "merged_at": None,
            "merge_commit_sha": None,
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [],
            "requested_teams": [],
            "head": self._branch_json(repo, pull.head_ref, pull.head_sha),
            "base": self._branch_json(repo, pull.base_ref, base_sha),
            "_links": {
                "self": {"href": f"{api}/pulls/{number}"},
                "html": {"href": html},
                "issue": {"href": f"{api}/issues/{number}"},
                "comments": {"href": f"{api}/issues/{number}/comments"},
                "review_comments": {"href": f"{api}/pulls/{number}/comments"},
                "review_comment": {"href": f"{api}/pulls/comments{{/number}}"},
                "commits": {"href": f"{api}/pulls/{number}/commits"},
                "statuses": {"href": f"{api}/statuses/{pull.head_sha}"},
            },
            "author_association": "OWNER" if pull.user.login == repo.owner.login else "CONTRIBUTOR",
            "auto_merge": None,
            "draft": False,
            "merged": False,
            "mergeable": True,
            "rebaseable": True,
            "mergeable_state": "clean",
            "merged_by": None,
            "comments": 0,
            "review_comments": review_comments,
            "maintainer_can_modify": False,
            "commits": len(commits),
            "additions": sum(diff.additions for diff in diffs),
            "deletions": sum(diff.deletions for diff in diffs),
            "changed_files": len(diffs),
        }

    def _file_json(self, repo: _Repository, head_sha: str, diff: FileDiff) -> dict[str, Any]:
        full = repo.full_name
        content = diff.new_content if diff.new_content is not None else diff.old_content or b""
        quoted = quote(diff.path)
        entry: dict[str, Any] = {
            "sha": blob_sha(content),
            "filename": diff.path,
            "status": diff.status,
            "additions": diff.additions,
            "deletions": diff.deletions,
            "changes": diff.changes,
            "blob_url": f"{self.html_url}/{full}/blob/{head_sha}/{quoted}",
            "raw_url": f"{self.html_url}/{full}/raw/{head_sha}/{quoted}",
            "contents_url": f"{self.api_url}/repos/{full}/contents/{quoted}?ref={head_sha}",
        }
        patch = diff.patch
        if patch is not None:
            entry["patch"] = patch
        if diff.previous_path is not None:
            entry["previous_filename"] = diff.previous_path
        return entry

    def _content_json(
        self, repo: _Repository, ref: str, path: str, data: bytes, *, with_content: bool
    ) -> dict[str, Any]:
        full = repo.full_name
        sha = blob_sha(data)
        url = f"{self.api_url}/repos/{full}/contents/{quote(path)}?ref={quote(ref)}"
        git_url = f"{self.api_url}/repos/{full}/git/blobs/{sha}"
        html_url = f"{self.html_url}/{full}/blob/{quote(ref)}/{quote(path)}"
        entry: dict[str, Any] = {
            "type": "file",
            "size": len(data),
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "sha": sha,
            "url": url,
            "git_url": git_url,
            "html_url": html_url,
            "download_url": f"https://raw.githubusercontent.com/{full}/{quote(ref)}/{quote(path)}",
            "_links": {"self": url, "git": git_url, "html": html_url},
        }
        if with_content:
            small = len(data) <= MAX_CONTENT_BYTES
            entry["encoding"] = "base64" if small else "none"
            entry["content"] = github_base64(data) if small else ""
        return entry

    def _directory(
        self, repo: _Repository, ref: str, tree: Mapping[str, bytes], path: str
    ) -> list[dict[str, Any]]:
        prefix = f"{path}/" if path else ""
        files: dict[str, bytes] = {}
        directories: set[str] = set()
        for candidate, data in tree.items():
            if not candidate.startswith(prefix):
                continue
            head, _, rest = candidate[len(prefix) :].partition("/")
            if rest:
                directories.add(prefix + head)
            else:
                files[candidate] = data
        entries = [
            self._content_json(repo, ref, name, data, with_content=False) for name, data in files.items()
        ]
        entries += [self._dir_entry(repo, ref, name, tree) for name in directories]
        return sorted(entries, key=lambda entry: str(entry["name"]))

    def _dir_entry(self, repo: _Repository, ref: str, path: str, tree: Mapping[str, bytes]) -> dict[str, Any]:
        full = repo.full_name
        digest = hashlib.sha1()
        for name in sorted(name for name in tree if name.startswith(path + "/")):
            digest.update(f"{name}\0{blob_sha(tree[name])}\n".encode())
        sha = digest.hexdigest()
        url = f"{self.api_url}/repos/{full}/contents/{quote(path)}?ref={quote(ref)}"
        git_url = f"{self.api_url}/repos/{full}/git/trees/{sha}"
        html_url = f"{self.html_url}/{full}/tree/{quote(ref)}/{quote(path)}"
        return {
            "type": "dir",
            "size": 0,
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "sha": sha,
            "url": url,
            "git_url": git_url,
            "html_url": html_url,
            "download_url": None,
            "_links": {"self": url, "git": git_url, "html": html_url},
        }

    def _review_json(self, review: _Review) -> dict[str, Any]:
        api_pull = f"{self.api_url}/repos/{review.full_name}/pulls/{review.number}"
        html = f"{self.html_url}/{review.full_name}/pull/{review.number}#pullrequestreview-{review.id}"
        rendered: dict[str, Any] = {
            "id": review.id,
            "node_id": node_id("PullRequestReview", review.id),
            "user": self._user_json(review.user),
            "body": review.body,
            "state": review.state,
            "html_url": html,
            "pull_request_url": api_pull,
            "author_association": "NONE",
            "_links": {"html": {"href": html}, "pull_request": {"href": api_pull}},
            "commit_id": review.commit_id,
        }
        if review.submitted_at is not None:
            rendered["submitted_at"] = iso8601(review.submitted_at)
        return rendered

    def _comment_json(self, comment: _ReviewComment) -> dict[str, Any]:
        api_pull = f"{self.api_url}/repos/{comment.full_name}/pulls/{comment.number}"
        url = f"{self.api_url}/repos/{comment.full_name}/pulls/comments/{comment.id}"
        html = f"{self.html_url}/{comment.full_name}/pull/{comment.number}#discussion_r{comment.id}"
        created = iso8601(comment.created_at)
        return {
            "url": url,
            "pull_request_review_id": comment.review_id,
            "id": comment.id,
            "node_id": node_id("PullRequestReviewComment", comment.id),
            "diff_hunk": comment.diff_hunk,
            "path": comment.path,
            "position": comment.position,
            "original_position": comment.position,
            "commit_id": comment.commit_id,
            "original_commit_id": comment.commit_id,
            "user": self._user_json(comment.user),
            "body": comment.body,
            "created_at": created,
            "updated_at": created,
            "html_url": html,
            "pull_request_url": api_pull,
            "author_association": "NONE",
            "_links": {"self": {"href": url}, "html": {"href": html}, "pull_request": {"href": api_pull}},
            "start_line": comment.start_line,
            "original_start_line": comment.start_line,
            "start_side": comment.start_side,
            "line": comment.line,
            "original_line": comment.line,
            "side": comment.side,
            "subject_type": "line",
        }


_ID_STARTS: Mapping[str, int] = {
    "account": 1001,
    "installation": 40001,
    "repository": 700001,
    "commit": 1,
    "pull": 1_500_001,
    "review": 80_000_001,
    "comment": 900_000_001,
}


def _avatar(account_id: int) -> str:
    return f"https://avatars.githubusercontent.com/u/{account_id}?v=4"


def _split_full_name(full_name: str) -> tuple[str, str]:
    owner, _, name = full_name.partition("/")
    if not owner or not name or "/" in name:
        raise ValueError(f"not an owner/name repository name: {full_name!r}")
    return owner, name


def _repository_url_templates(api: str) -> dict[str, str]:
    return {
        "archive_url": f"{api}/{{archive_format}}{{/ref}}",
        "assignees_url": f"{api}/assignees{{/user}}",
        "blobs_url": f"{api}/git/blobs{{/sha}}",
        "branches_url": f"{api}/branches{{/branch}}",
        "collaborators_url": f"{api}/collaborators{{/collaborator}}",
        "comments_url": f"{api}/comments{{/number}}",
        "commits_url": f"{api}/commits{{/sha}}",
        "compare_url": f"{api}/compare/{{base}}...{{head}}",
        "contents_url": f"{api}/contents/{{+path}}",
        "contributors_url": f"{api}/contributors",
        "deployments_url": f"{api}/deployments",
        "downloads_url": f"{api}/downloads",
        "events_url": f"{api}/events",
        "forks_url": f"{api}/forks",
        "git_commits_url": f"{api}/git/commits{{/sha}}",
        "git_refs_url": f"{api}/git/refs{{/sha}}",
        "git_tags_url": f"{api}/git/tags{{/sha}}",
        "hooks_url": f"{api}/hooks",
        "issue_comment_url": f"{api}/issues/comments{{/number}}",
        "issue_events_url": f"{api}/issues/events{{/number}}",
        "issues_url": f"{api}/issues{{/number}}",
        "keys_url": f"{api}/keys{{/key_id}}",
        "labels_url": f"{api}/labels{{/name}}",
        "languages_url": f"{api}/languages",
        "merges_url": f"{api}/merges",
        "milestones_url": f"{api}/milestones{{/number}}",
        "notifications_url": f"{api}/notifications{{?since,all,participating}}",
        "pulls_url": f"{api}/pulls{{/number}}",
        "releases_url": f"{api}/releases{{/id}}",
        "stargazers_url": f"{api}/stargazers",
        "statuses_url": f"{api}/statuses/{{sha}}",
        "subscribers_url": f"{api}/subscribers",
        "subscription_url": f"{api}/subscription",
        "tags_url": f"{api}/tags",
        "teams_url": f"{api}/teams",
        "trees_url": f"{api}/git/trees{{/sha}}",
    }


def _fault_message(fault: _Fault) -> str:
    if fault.status in (403, 429) and any(name.lower() == "retry-after" for name in fault.headers):
        return "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
    return _ERROR_MESSAGES.get(fault.status, "Error")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _review_fields(payload: Mapping[str, Any]) -> tuple[str | None, str, str | None, list[Any]]:
    """The review request's event, body, commit_id and comments, type-checked like GitHub's schema."""
    event = payload.get("event")
    if event is not None and event not in _REVIEW_EVENTS:
        allowed = ", ".join(f'"{name}"' for name in _REVIEW_EVENTS)
        raise _invalid_request(f"For 'properties/event', {event!r} is not one of [{allowed}].")
    body = payload.get("body")
    if body is not None and not isinstance(body, str):
        raise _invalid_request(f"For 'properties/body', {body!r} is not a string.")
    commit_id = payload.get("commit_id")
    if commit_id is not None and not isinstance(commit_id, str):
        raise _invalid_request(f"For 'properties/commit_id', {commit_id!r} is not a string.")
    comments = payload.get("comments")
    if comments is None:
        comments = []
    if not isinstance(comments, list):
        raise _invalid_request(f"For 'properties/comments', {comments!r} is not an array.")
    return event, body or "", commit_id, comments


def _comment_side(comment: Mapping[str, Any], key: str, default: Side) -> Side:
    value = comment.get(key)
    if value is None:
        return default
    if value == "LEFT":
        return "LEFT"
    if value == "RIGHT":
        return "RIGHT"
    raise _unprocessable(f'Pull request review thread {key.replace("_", " ")} must be "LEFT" or "RIGHT"')


def _check_comment_schema(comment: Any) -> Mapping[str, Any]:
    if not isinstance(comment, Mapping):
        raise _invalid_request(f"For 'items', {comment!r} is not an object.")
    for key in ("path", "body"):
        if key not in comment:
            raise _invalid_request(f"For 'items', \"{key}\" wasn't supplied.")
        if not isinstance(comment[key], str):
            raise _invalid_request(f"For 'properties/{key}', {comment[key]!r} is not a string.")
    for key in ("line", "start_line", "position"):
        if comment.get(key) is not None and not _is_int(comment[key]):
            raise _invalid_request(f"For 'properties/{key}', {comment[key]!r} is not an integer.")
    return comment


def _anchor(raw: Any, diffs: Mapping[str, FileDiff]) -> _Anchor:
    """Validate one review comment against the PR's diff the way GitHub does (422 on any problem)."""
    comment = _check_comment_schema(raw)
    diff = diffs.get(comment["path"])
    if diff is None:
        raise _unprocessable("Path could not be resolved")
    if comment.get("line") is None and comment.get("position") is not None:
        return _anchor_by_position(comment, diff)
    line = comment.get("line")
    if line is None:
        raise _unprocessable("Line could not be resolved")
    side = _comment_side(comment, "side", "RIGHT")
    hunk = diff.hunk_containing(side, line)
    target = hunk.find(side, line) if hunk else None
    if hunk is None or target is None:
        raise _unprocessable(_LINE_NOT_IN_DIFF)
    start_line = comment.get("start_line")
    if start_line is None:
        return _Anchor(diff.path, comment["body"], line, side, None, None, hunk, target)
    start_side = _comment_side(comment, "start_side", side)
    if start_side == side and start_line >= line:
        raise _unprocessable(_START_NOT_BEFORE_LINE)
    if not _range_in_hunk(hunk, start_side, side, start_line, line):
        raise _unprocessable(_START_NOT_IN_HUNK)
    return _Anchor(diff.path, comment["body"], line, side, start_line, start_side, hunk, target)


def _range_in_hunk(hunk: Hunk, start_side: Side, side: Side, start_line: int, line: int) -> bool:
    if start_side != side:
        return start_line in hunk.lines_on(start_side)
    return all(number in hunk.lines_on(side) for number in range(start_line, line + 1))


def _anchor_by_position(comment: Mapping[str, Any], diff: FileDiff) -> _Anchor:
    located = diff.at_position(comment["position"])
    if located is None:
        raise _unprocessable("Position could not be resolved")
    hunk, target = located
    if target.kind == "-" and target.old_line is not None:
        return _Anchor(diff.path, comment["body"], target.old_line, "LEFT", None, None, hunk, target)
    if target.new_line is None:
        raise _unprocessable("Position could not be resolved")
    return _Anchor(diff.path, comment["body"], target.new_line, "RIGHT", None, None, hunk, target)
