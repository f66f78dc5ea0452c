"""GitHub's JSON for the emulator's records: accounts, installations, repositories, pull requests, issues.

Pure functions of the records and a `Site` (where the API and the web UI live); the git, review and check
run shapes are in `bot.emulator.render_git` and `bot.emulator.render_discussion`.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from bot.emulator.model import REACTION_CONTENTS, Account, Installation, Pull, Reaction, Repository

APP_EVENTS = ("pull_request", "pull_request_review", "pull_request_review_thread", "issue_comment")


@dataclass(frozen=True)
class Site:
    """Where the emulated GitHub lives, and which app it hosts."""

    api_url: str
    html_url: str
    app_id: int
    app_slug: str
    app_created_at: float
    app_permissions: Mapping[str, str]
    installations_count: int

    def repo_api(self, full_name: str) -> str:
        return f"{self.api_url}/repos/{full_name}"

    def repo_html(self, full_name: str) -> str:
        return f"{self.html_url}/{full_name}"


def node_id(type_name: str, number: int) -> str:
    """GitHub's legacy global node id: base64 of "0<len>:<Type><id>"."""
    raw = f"0{len(type_name)}:{type_name}{number}"
    return base64.b64encode(raw.encode()).decode()


def iso8601(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def optional_iso8601(epoch: float | None) -> str | None:
    return None if epoch is None else iso8601(epoch)


def github_base64(data: bytes) -> str:
    """Base64 as the contents and blobs APIs show it: a newline after every 60 characters, and at the end."""
    encoded = base64.b64encode(data).decode("ascii")
    return "".join(encoded[start : start + 60] + "\n" for start in range(0, len(encoded), 60))


def avatar(account_id: int) -> str:
    return f"https://avatars.githubusercontent.com/u/{account_id}?v=4"


def user_json(site: Site, account: Account) -> dict[str, Any]:
    base = f"{site.api_url}/users/{quote(account.login)}"
    is_bot = account.type == "Bot"
    html = f"{site.html_url}/apps/{site.app_slug}" if is_bot else f"{site.html_url}/{account.login}"
    return {
        "login": account.login,
        "id": account.id,
        "node_id": node_id(account.type, account.id),
        "avatar_url": avatar(account.id),
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


def organization_json(site: Site, account: Account) -> dict[str, Any]:
    """The organization JSON that webhook payloads carry."""
    base = f"{site.api_url}/orgs/{quote(account.login)}"
    return {
        "login": account.login,
        "id": account.id,
        "node_id": node_id("Organization", account.id),
        "url": base,
        "repos_url": f"{base}/repos",
        "events_url": f"{base}/events",
        "hooks_url": f"{base}/hooks",
        "issues_url": f"{base}/issues",
        "members_url": f"{base}/members{{/member}}",
        "public_members_url": f"{base}/public_members{{/member}}",
        "avatar_url": avatar(account.id),
        "description": "",
    }


def app_json(site: Site, owner: Account) -> dict[str, Any]:
    """`GET /app`, and the `performed_via_github_app` of what the app creates."""
    created = iso8601(site.app_created_at)
    return {
        "id": site.app_id,
        "slug": site.app_slug,
        "node_id": node_id("Integration", site.app_id),
        "client_id": f"Iv1.{site.app_id:016x}",
        "owner": user_json(site, owner),
        "name": site.app_slug,
        "description": "",
        "external_url": f"{site.html_url}/apps/{site.app_slug}",
        "html_url": f"{site.html_url}/apps/{site.app_slug}",
        "created_at": created,
        "updated_at": created,
        "permissions": dict(site.app_permissions),
        "events": list(APP_EVENTS),
        "installations_count": site.installations_count,
    }


def installation_json(site: Site, installation: Installation) -> dict[str, Any]:
    created = iso8601(installation.created_at)
    suspended_by = installation.suspended_by
    return {
        "id": installation.id,
        "node_id": node_id("IntegrationInstallation", installation.id),
        "client_id": f"Iv1.{site.app_id:016x}",
        "account": user_json(site, installation.account),
        "repository_selection": "all",
        "access_tokens_url": f"{site.api_url}/app/installations/{installation.id}/access_tokens",
        "repositories_url": f"{site.api_url}/installation/repositories",
        "html_url": f"{site.html_url}/settings/installations/{installation.id}",
        "app_id": site.app_id,
        "app_slug": site.app_slug,
        "target_id": installation.account.id,
        "target_type": installation.account.type,
        "permissions": dict(site.app_permissions),
        "events": list(APP_EVENTS),
        "created_at": created,
        "updated_at": created,
        "single_file_name": None,
        "has_multiple_single_files": False,
        "single_file_paths": [],
        "suspended_by": user_json(site, suspended_by) if suspended_by else None,
        "suspended_at": optional_iso8601(installation.suspended_at),
    }


def repository_url_templates(api: str) -> dict[str, str]:
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


def repository_json(site: Site, repo: Repository) -> dict[str, Any]:
    full = repo.full_name
    api, html = site.repo_api(full), site.repo_html(full)
    host = site.html_url.split("://", 1)[-1]
    open_pulls = sum(1 for pull in repo.pulls.values() if pull.state == "open")
    default_tree = repo.commits[repo.branches[repo.default_branch]].tree
    return {
        "id": repo.id,
        "node_id": node_id("Repository", repo.id),
        "name": repo.name,
        "full_name": full,
        "owner": user_json(site, repo.owner),
        "private": repo.private,
        "html_url": html,
        "description": None,
        "fork": False,
        "url": api,
        **repository_url_templates(api),
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
        "size": sum(len(data) for data in default_tree.values()) // 1024,
        "default_branch": repo.default_branch,
        "open_issues_count": open_pulls,
        "open_issues": open_pulls,
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


def repository_stub_json(repo: Repository) -> dict[str, Any]:
    """The short repository entries of installation webhooks."""
    return {
        "id": repo.id,
        "node_id": node_id("Repository", repo.id),
        "name": repo.name,
        "full_name": repo.full_name,
        "private": repo.private,
    }


def author_association(repo: Repository, account: Account) -> str:
    """OWNER for the repository's owner, the collaborator role given by the test, NONE otherwise."""
    if account.login == repo.owner.login:
        return "OWNER"
    return repo.collaborators.get(account.login, "NONE")


def _branch_json(site: Site, repo: Repository, ref: str, sha: str) -> dict[str, Any]:
    return {
        "label": f"{repo.owner.login}:{ref}",
        "ref": ref,
        "sha": sha,
        "user": user_json(site, repo.owner),
        "repo": repository_json(site, repo),
    }


@dataclass(frozen=True)
class PullFacts:
    """What a pull request's JSON counts, worked out by the state from the diff and the comments."""

    base_sha: str
    commits: int
    additions: int
    deletions: int
    changed_files: int
    review_comments: int
    comments: int


def pull_json(site: Site, repo: Repository, pull: Pull, facts: PullFacts) -> dict[str, Any]:
    full, number = repo.full_name, pull.number
    api = site.repo_api(full)
    html = f"{site.repo_html(full)}/pull/{number}"
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
        "user": user_json(site, pull.user),
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
        "head": _branch_json(site, repo, pull.head_ref, pull.head_sha),
        "base": _branch_json(site, repo, pull.base_ref, facts.base_sha),
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
        "comments": facts.comments,
        "review_comments": facts.review_comments,
        "maintainer_can_modify": False,
        "commits": facts.commits,
        "additions": facts.additions,
        "deletions": facts.deletions,
        "changed_files": facts.changed_files,
    }


def pull_minimal_json(site: Site, repo: Repository, pull: Pull, base_sha: str) -> dict[str, Any]:
    """The `pull_requests[]` entries of a check run."""
    api = site.repo_api(repo.full_name)
    stub = {"id": repo.id, "url": api, "name": repo.name}
    return {
        "id": pull.id,
        "number": pull.number,
        "url": f"{api}/pulls/{pull.number}",
        "head": {"ref": pull.head_ref, "sha": pull.head_sha, "repo": stub},
        "base": {"ref": pull.base_ref, "sha": base_sha, "repo": stub},
    }


def reactions_rollup(url: str, reactions: Iterable[Reaction]) -> dict[str, Any]:
    counts = dict.fromkeys(REACTION_CONTENTS, 0)
    for reaction in reactions:
        counts[reaction.content] += 1
    return {"url": url, "total_count": sum(counts.values()), **counts}


def issue_json(
    site: Site, repo: Repository, pull: Pull, *, comments: int, reactions: Iterable[Reaction]
) -> dict[str, Any]:
    """The issue every pull request also is (`GET issues/{n}`, `issue` of `issue_comment` webhooks)."""
    full, number = repo.full_name, pull.number
    url = f"{site.repo_api(full)}/issues/{number}"
    html = f"{site.repo_html(full)}/pull/{number}"
    return {
        "url": url,
        "repository_url": site.repo_api(full),
        "labels_url": f"{url}/labels{{/name}}",
        "comments_url": f"{url}/comments",
        "events_url": f"{url}/events",
        "html_url": html,
        "id": pull.issue_id,
        "node_id": node_id("Issue", pull.issue_id),
        "number": number,
        "title": pull.title,
        "user": user_json(site, pull.user),
        "labels": [],
        "state": pull.state,
        "locked": False,
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "comments": comments,
        "created_at": iso8601(pull.created_at),
        "updated_at": iso8601(pull.updated_at),
        "closed_at": None,
        "author_association": author_association(repo, pull.user),
        "active_lock_reason": None,
        "draft": False,
        "pull_request": {
            "url": f"{site.repo_api(full)}/pulls/{number}",
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "merged_at": None,
        },
        "body": pull.body,
        "reactions": reactions_rollup(f"{url}/reactions", reactions),
        "timeline_url": f"{url}/timeline",
        "performed_via_github_app": None,
        "state_reason": None,
    }
