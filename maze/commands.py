"""`/maze` comment commands: reading them from a comment, who may run them, the flood limit, the texts.

A comment is a command when its first non-blank line outside code fences and `>` quotes starts with
`/maze` (any case). The word after it picks the command (`fix`, `review`, `help`); anything else, or
nothing, is `help`. Pure functions only: the webhook and the worker do the I/O.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

PREFIX = "/maze"
ALLOWED_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
ALLOWED_ROLES = frozenset({"admin", "maintain", "write"})
COMMANDS_PER_PR_PER_HOUR = 10
"""The default of `Settings.commands_per_pr_per_hour`: commands one pull request may run per hour."""
COMMAND_WINDOW_SECONDS = 3600.0

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_COMMAND = re.compile(r"^/maze(?:\s+(\S+))?(?:\s|$)", re.IGNORECASE)


class CommandName(enum.StrEnum):
    FIX = "fix"
    REVIEW = "review"
    HELP = "help"


class CommentKind(enum.StrEnum):
    """Where the command was written: the PR conversation ("issue") or a line thread ("review")."""

    ISSUE = "issue"
    REVIEW = "review"


@dataclass(frozen=True)
class Command:
    name: CommandName
    unknown: str | None = None  # the word after `/maze` that is not a command (help is shown instead)


@dataclass(frozen=True)
class CommandRequest:
    """What a command webhook hands to the queue: ids and the few facts the worker needs, no payload."""

    installation_id: int
    repository_id: int
    repository: str
    pr_number: int
    comment_id: int
    comment_kind: str
    command: str
    author: str
    author_association: str
    delivery_id: str
    unknown: str | None = None
    path: str | None = None
    start_line: int | None = None
    line: int | None = None
    thread_id: int | None = None

    @property
    def trigger(self) -> str:
        """The `trigger` of the review run this command starts."""
        return f"comment:{self.comment_id}"


def _closes(marker: str, fence: str, line: str) -> bool:
    """A closing fence: the opening fence's character, at least as many, and nothing else on the line."""
    return marker[0] == fence[0] and len(marker) >= len(fence) and not line.strip().lstrip(fence[0])


def _first_line(body: str) -> str | None:
    """The first non-blank line that is neither inside a code fence nor a `>` quote."""
    fence: str | None = None
    for raw in body.splitlines():
        line = raw.rstrip()
        opening = _FENCE.match(line)
        if fence is not None:
            if opening and _closes(opening.group(1), fence, line):
                fence = None
            continue
        if opening:
            fence = opening.group(1)
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith(">"):
            continue
        return stripped
    return None


def parse_command(body: str | None) -> Command | None:
    """The command a comment gives, or None when it is not a command."""
    line = _first_line(body or "")
    if line is None:
        return None
    match = _COMMAND.match(line)
    if match is None:
        return None
    word = (match.group(1) or "").lower()
    try:
        return Command(CommandName(word))
    except ValueError:
        return Command(CommandName.HELP, unknown=match.group(1) or None)


def trusted_association(association: str | None) -> bool:
    """OWNER, MEMBER and COLLABORATOR may run commands on their word (`author_association`)."""
    return (association or "").upper() in ALLOWED_ASSOCIATIONS


def permission_allows(permission: dict[str, object] | None) -> bool:
    """Whether the collaborator permission answer grants write (admin, maintain or write); None is a 404."""
    if permission is None:
        return False
    role = str(permission.get("role_name") or "").lower()
    base = str(permission.get("permission") or "").lower()
    return role in ALLOWED_ROLES or base in ALLOWED_ROLES


def within_limit(
    earlier: Iterable[float], now: float, limit: int, window: float = COMMAND_WINDOW_SECONDS
) -> bool:
    """True when fewer than `limit` commands were accepted in the `window` seconds before `now`."""
    recent = sum(1 for moment in earlier if now - window < moment <= now)
    return recent < limit


def help_text(unknown: str | None = None, limit: int = COMMANDS_PER_PR_PER_HOUR) -> str:
    lead = f"`{unknown}` is not a Maze command. " if unknown else ""
    return (
        f"{lead}Maze answers these commands, written at the start of a comment on a pull request:\n\n"
        "- `/maze fix` in the conversation: look for findings on the changed lines and suggest every fix "
        "Maze can prove (the patched tree passes the checks and the finding is gone).\n"
        "- `/maze fix` in a review comment on a line or a range: fix what is there and answer in that "
        "thread.\n"
        "- `/maze review`: review the pull request's current head again.\n"
        "- `/maze help`: this text.\n\n"
        "Who may run them: the repository's owner, organization members and collaborators, and anyone "
        "with write access to the repository. "
        f"Each pull request runs at most {limit} commands an hour."
    )


def refusal_text(author: str) -> str:
    return (
        f"Sorry @{author}, Maze commands can only be run by the repository's owner, organization members, "
        "collaborators, or people with write access to this repository. Nothing was run."
    )


def flood_text(author: str, limit: int) -> str:
    return (
        f"Sorry @{author}, this pull request has already run {limit} Maze commands in the last hour, "
        "the most it may. Nothing was run; please try again later."
    )


def reply_marker(comment_id: int) -> str:
    """Hidden text in Maze's one answer to command comment `comment_id`, so a retry does not answer twice."""
    return f"<!-- maze:command-reply comment={comment_id} -->"
