"""Building the emulated world: installations and their lifecycle, repositories, pushes, pull requests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.emulator.errors import not_found
from bot.emulator.model import Installation, Pull, Repository
from bot.emulator.render import installation_json, organization_json, repository_stub_json, user_json
from bot.emulator.state.core import StateCore, as_bytes, split_full_name

ASSOCIATIONS = ("COLLABORATOR", "CONTRIBUTOR", "MEMBER")
ROLES = ("admin", "maintain", "write", "triage", "read")
# The role a collaborator gets unless the test names one; a CONTRIBUTOR (someone who committed before) is
# not a collaborator at all: the permission endpoint answers 404 for them, as GitHub does.
_DEFAULT_ROLES = {"COLLABORATOR": "write", "MEMBER": "write"}
# `permission` is the legacy base role GitHub derives from the role: maintain shows as write, triage as read.
_BASE_PERMISSION = {"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read"}


class WorldState(StateCore):
    """Installations, repositories, commits and pull requests, as the tests script them."""

    def add_installation(self, account_login: str, account_type: str = "Organization") -> int:
        """Install the app on an account ("Organization" or "User"); returns the installation id."""
        with self._lock:
            account = self._account(account_login, account_type)
            installation = Installation(self._next_id("installation"), account, self.clock())
            self._installations[installation.id] = installation
            return installation.id

    def suspend_installation(self, installation_id: int, by_login: str = "octocat") -> None:
        """Suspend the installation: no new tokens, and its existing tokens answer 403."""
        with self._lock:
            installation = self._installation(installation_id)
            installation.suspended_at = self.clock()
            installation.suspended_by = self._account(by_login)

    def unsuspend_installation(self, installation_id: int) -> None:
        with self._lock:
            installation = self._installation(installation_id)
            installation.suspended_at = installation.suspended_by = None

    def delete_installation(self, installation_id: int) -> None:
        """Uninstall the app: the installation is gone (404) and its tokens answer 401 Bad credentials."""
        with self._lock:
            self._installation(installation_id)
            del self._installations[installation_id]
            for token, entry in list(self._tokens.items()):
                if entry.installation_id == installation_id:
                    del self._tokens[token]

    def is_suspended(self, installation_id: int) -> bool:
        with self._lock:
            return self._installation(installation_id).suspended_at is not None

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
            owner_login, name = split_full_name(full_name)
            if owner_login != installation.account.login:
                raise ValueError(f"{full_name} is not owned by {installation.account.login}")
            if full_name in self._repositories:
                raise ValueError(f"repository {full_name} already exists")
            now = self.clock()
            repo = Repository(
                self._next_id("repository"),
                name,
                installation.account,
                installation_id,
                default_branch,
                private,
                now,
                now,
            )
            tree = {path: as_bytes(content) for path, content in files.items()}
            author = self._account("octocat")
            repo.branches[default_branch] = self._new_commit(repo, tree, None, "Initial commit", author).sha
            self._repositories[full_name] = repo
            return self._repository_json(repo)

    def add_collaborator(
        self, full_name: str, login: str, association: str = "COLLABORATOR", role: str | None = None
    ) -> None:
        """Give `login` a role on the repository: `association` shows as the `author_association` of their
        comments, `role` is what the collaborator permission endpoint reports (default: write for a
        COLLABORATOR or MEMBER; a CONTRIBUTOR without a role is not a collaborator and gets a 404 there)."""
        if association not in ASSOCIATIONS:
            raise ValueError(f"association must be one of {ASSOCIATIONS}, not {association!r}")
        granted = role or _DEFAULT_ROLES.get(association)
        if granted is not None and granted not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, not {role!r}")
        with self._lock:
            repo = self._repo(full_name)
            repo.collaborators[login] = association
            if granted is not None:
                repo.permissions[login] = granted
            self._account(login)

    def collaborator_permission(self, full_name: str, login: str) -> dict[str, Any]:
        """`GET /repos/{o}/{r}/collaborators/{username}/permission`: the user's role on the repository.

        The owner is admin; a user who is not a collaborator (or does not exist) is a 404.
        """
        with self._lock:
            repo = self._repo(full_name)
            if login == repo.owner.login:
                role = "admin"
            elif login in repo.permissions:
                role = repo.permissions[login]
            else:
                raise not_found("https://docs.github.com/rest/collaborators/collaborators")
            user = user_json(self._site(), self._accounts[login])
            base = _BASE_PERMISSION[role]
            user["permissions"] = {
                "admin": role == "admin",
                "maintain": role in ("admin", "maintain"),
                "push": base in ("admin", "write"),
                "triage": role != "read",
                "pull": True,
            }
            user["role_name"] = role
            return {"permission": base, "role_name": role, "user": user}

    def push(
        self,
        full_name: str,
        branch: str,
        changes: Mapping[str, str | bytes | None],
        *,
        message: str = "Update files",
        author_login: str = "octocat",
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
                    tree[path] = as_bytes(content)
            commit = self._new_commit(repo, tree, parent_sha, message, self._account(author_login))
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
            self._check_can_open(repo, head, base_ref)
            now = self.clock()
            head_sha = repo.branches[head]
            pull = Pull(
                len(repo.pulls) + 1,
                self._next_id("pull"),
                self._next_id("issue"),
                head,
                base_ref,
                head_sha,
                title,
                body,
                self._account(user_login),
                now,
                now,
                [head_sha],
            )
            repo.pulls[pull.number] = pull
            return self._pull_json(repo, pull)

    def _check_can_open(self, repo: Repository, head: str, base_ref: str) -> None:
        for ref in (head, base_ref):
            if ref not in repo.branches:
                raise ValueError(f"{repo.full_name} has no branch {ref!r}")
        for pull in repo.pulls.values():
            if pull.state == "open" and (pull.head_ref, pull.base_ref) == (head, base_ref):
                raise ValueError(f"A pull request already exists for {repo.owner.login}:{head}.")
        if repo.branches[head] == repo.branches[base_ref]:
            raise ValueError(f"No commits between {base_ref} and {head}")

    # ----- reading accounts and installations -------------------------------------------------------

    def installation_of(self, full_name: str) -> int:
        with self._lock:
            return self._repo(full_name).installation_id

    def installation(self, installation_id: int) -> dict[str, Any]:
        with self._lock:
            return installation_json(self._site(), self._installation(installation_id))

    def installations(self) -> list[dict[str, Any]]:
        """`GET /app/installations`: every installation, oldest first."""
        with self._lock:
            site = self._site()
            return [installation_json(site, self._installations[key]) for key in sorted(self._installations)]

    def installation_ids(self) -> list[int]:
        with self._lock:
            return sorted(self._installations)

    def has_installation(self, installation_id: int) -> bool:
        with self._lock:
            return installation_id in self._installations

    def installation_repositories(self, installation_id: int) -> list[dict[str, Any]]:
        """The repositories the installation can access, as `GET /installation/repositories` lists them."""
        with self._lock:
            return [
                self._repository_json(repo)
                for repo in self._repositories.values()
                if repo.installation_id == installation_id
            ]

    def repository_stubs(self, full_names: list[str]) -> list[dict[str, Any]]:
        """The short repository entries (`id`, `node_id`, `name`, `full_name`, `private`) of webhooks."""
        with self._lock:
            return [repository_stub_json(self._repo(full_name)) for full_name in full_names]

    def account(self, login: str) -> dict[str, Any]:
        """The simple-user JSON of a known account."""
        with self._lock:
            if login not in self._accounts:
                raise KeyError(f"unknown account {login!r}")
            return user_json(self._site(), self._accounts[login])

    def user(self, login: str) -> dict[str, Any]:
        """The simple-user JSON of `login`, creating the account (a User) when it is new."""
        with self._lock:
            return user_json(self._site(), self._account(login))

    def organization(self, login: str) -> dict[str, Any]:
        """The organization JSON that webhook payloads carry."""
        with self._lock:
            return organization_json(self._site(), self._accounts[login])
