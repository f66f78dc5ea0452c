"""The records the emulated GitHub stores; rendered to GitHub's JSON by `bot.emulator.render`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from bot.emulator.diffing import Side

CommentKind = Literal["issue", "review"]
REACTION_CONTENTS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")


@dataclass
class Account:
    login: str
    id: int
    type: str


@dataclass
class Installation:
    id: int
    account: Account
    created_at: float
    suspended_at: float | None = None
    suspended_by: Account | None = None


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a git tree object: a blob (file) or a tree (directory)."""

    name: str
    mode: str
    type: Literal["blob", "tree"]
    sha: str
    size: int | None


@dataclass
class Commit:
    sha: str
    tree: dict[str, bytes]
    tree_sha: str
    parent: str | None
    message: str
    timestamp: float
    author: Account


@dataclass
class Pull:
    number: int
    id: int
    issue_id: int
    head_ref: str
    base_ref: str
    head_sha: str
    title: str
    body: str
    user: Account
    created_at: float
    updated_at: float
    head_history: list[str] = field(default_factory=list)
    state: str = "open"


@dataclass
class Repository:
    id: int
    name: str
    owner: Account
    installation_id: int
    default_branch: str
    private: bool
    created_at: float
    pushed_at: float
    branches: dict[str, str] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    pulls: dict[int, Pull] = field(default_factory=dict)
    trees: dict[str, tuple[TreeEntry, ...]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    collaborators: dict[str, str] = field(default_factory=dict)
    permissions: dict[str, str] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"


@dataclass
class Review:
    id: int
    full_name: str
    number: int
    user: Account
    body: str
    state: str
    commit_id: str
    submitted_at: float | None
    comment_ids: list[int] = field(default_factory=list)


@dataclass
class ReviewComment:
    id: int
    review_id: int
    full_name: str
    number: int
    user: Account
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
    updated_at: float
    in_reply_to_id: int | None = None
    thread_resolved: bool = False
    thread_resolved_by: Account | None = None
    minimized_reason: str | None = None


@dataclass
class IssueComment:
    id: int
    full_name: str
    number: int
    user: Account
    body: str
    created_at: float
    updated_at: float
    via_app: bool
    minimized_reason: str | None = None


@dataclass
class Reaction:
    id: int
    kind: CommentKind
    comment_id: int
    user: Account
    content: str
    created_at: float


@dataclass
class CheckRun:
    id: int
    full_name: str
    head_sha: str
    name: str
    status: str
    conclusion: str | None
    started_at: float | None
    completed_at: float | None
    details_url: str | None
    external_id: str | None
    check_suite_id: int
    output: dict[str, str | None] = field(default_factory=dict)
    annotations: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Token:
    """An access token: an installation's (from the app) or a user's (a personal access token)."""

    expires_at: float
    installation_id: int | None = None
    permissions: dict[str, str] = field(default_factory=dict)
    user: Account | None = None
