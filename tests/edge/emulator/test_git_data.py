"""The emulator serves git data like GitHub: trees with git's ids, blobs, commits with files, tarballs."""

from __future__ import annotations

import base64
import io
import tarfile
from typing import Any

from tests.edge.emulator.support import (
    REPO,
    Client,
    Keys,
    World,
    auth,
    mint,
)

# `git write-tree` of exactly these files gives this id (checked with git 2.x).
GIT_FILES = {
    "README.md": "a\n",
    "src/calc.py": "x=1\n",
    "src/deep/z.txt": "y\n",
    "docs/g.md": "d\n",
    "src-file": "q",
}
GIT_TREE_ID = "23782b0b0d972b763e3a7cad203443128874fddd"


async def get_json(client: Client, token: str, path: str, status: int = 200, **params: str) -> Any:
    response = await client.get(path, params=params, headers=auth(token))
    assert response.status == status, await response.text()
    return await response.json()


async def test_tree_ids_are_gits_own(client: Client, world: World, token: str) -> None:
    world.state.create_repository(world.installation, "acme/gitty", GIT_FILES)
    tree = await get_json(client, token, "/repos/acme/gitty/git/trees/main")
    assert tree["sha"] == GIT_TREE_ID and tree["truncated"] is False
    assert [(e["path"], e["type"], e["mode"]) for e in tree["tree"]] == [
        ("README.md", "blob", "100644"),
        ("docs", "tree", "040000"),
        ("src-file", "blob", "100644"),
        ("src", "tree", "040000"),
    ]
    readme = tree["tree"][0]
    assert readme["size"] == 2 and readme["url"].endswith(f"/repos/acme/gitty/git/blobs/{readme['sha']}")
    docs = tree["tree"][1]
    assert "size" not in docs and docs["url"].endswith(f"/git/trees/{docs['sha']}")
    commit = await get_json(client, token, "/repos/acme/gitty/commits/main")
    assert commit["commit"]["tree"]["sha"] == GIT_TREE_ID
    listing = await get_json(client, token, "/repos/acme/gitty/contents/")
    src_entry = next(entry for entry in listing if entry["name"] == "src")
    assert src_entry["sha"] == tree["tree"][3]["sha"]
    assert src_entry["git_url"].endswith(f"/git/trees/{src_entry['sha']}")


async def test_recursive_tree_lists_directories_before_their_files(
    client: Client, world: World, token: str
) -> None:
    world.state.create_repository(world.installation, "acme/gitty", GIT_FILES)
    tree = await get_json(client, token, "/repos/acme/gitty/git/trees/main", recursive="1")
    assert [entry["path"] for entry in tree["tree"]] == [
        "README.md",
        "docs",
        "docs/g.md",
        "src-file",
        "src",
        "src/calc.py",
        "src/deep",
        "src/deep/z.txt",
    ]  # as `git ls-tree -r -t`: "src-file" sorts before "src/"
    src_sha = tree["tree"][4]["sha"]
    subtree = await get_json(client, token, f"/repos/acme/gitty/git/trees/{src_sha}")
    assert [entry["path"] for entry in subtree["tree"]] == ["calc.py", "deep"]
    world.state.tree_entry_limit = 3
    cut = await get_json(client, token, "/repos/acme/gitty/git/trees/main", recursive="1")
    assert cut["truncated"] is True and len(cut["tree"]) == 3
    await get_json(client, token, f"/repos/acme/gitty/git/trees/{'0' * 40}", 404)


async def test_blobs_round_trip_and_bad_shas(client: Client, world: World, keys: Keys, token: str) -> None:
    data = bytes(range(256)) * 3
    world.state.push(REPO, "main", {"bin/data.bin": data})
    tree = await get_json(client, token, f"/repos/{REPO}/git/trees/main", recursive="1")
    sha = next(entry["sha"] for entry in tree["tree"] if entry["path"] == "bin/data.bin")
    blob = await get_json(client, token, f"/repos/{REPO}/git/blobs/{sha}")
    assert blob["encoding"] == "base64" and blob["size"] == len(data) and blob["sha"] == sha
    assert base64.b64decode(blob["content"]) == data
    malformed = await get_json(client, token, f"/repos/{REPO}/git/blobs/not-a-sha", 422)
    assert malformed["errors"][0]["field"] == "sha"
    await get_json(client, token, f"/repos/{REPO}/git/blobs/{'a' * 40}", 404)
    other = await mint(client, keys, world.other_installation)
    await get_json(client, other, f"/repos/{REPO}/git/blobs/{sha}", 404)


async def test_commit_shows_its_files_against_its_parent(client: Client, world: World, token: str) -> None:
    commit = await get_json(client, token, f"/repos/{REPO}/commits/feature")
    assert commit["sha"] == world.head_sha and len(commit["parents"]) == 1
    assert [entry["filename"] for entry in commit["files"]] == ["NOTES", "docs/guide.md", "src/calc.py"]
    assert commit["stats"] == {"total": 7, "additions": 2, "deletions": 5}
    assert commit["files"][0]["patch"] == "@@ -0,0 +1 @@\n+no newline\n\\ No newline at end of file"
    assert commit["author"]["login"] == "octocat" and commit["commit"]["message"] == "Update files"
    by_short_sha = await get_json(client, token, f"/repos/{REPO}/commits/{world.head_sha[:7]}")
    assert by_short_sha["sha"] == world.head_sha
    first = await get_json(client, token, f"/repos/{REPO}/commits/{commit['parents'][0]['sha']}")
    assert first["parents"] == [] and {f["status"] for f in first["files"]} == {"added"}
    world.state.push(REPO, "feature/nested", {"x.txt": "x\n"})
    nested = await get_json(client, token, f"/repos/{REPO}/commits/heads/feature/nested")
    assert nested["files"][0]["filename"] == "x.txt"
    missing = await get_json(client, token, f"/repos/{REPO}/commits/nope", 422)
    assert missing["message"] == "No commit found for SHA: nope"


async def test_pull_request_commits_are_listed_oldest_first(client: Client, world: World, token: str) -> None:
    second = world.state.push(REPO, "feature", {"README.md": "changed\n"}, message="Second")
    commits = await get_json(client, token, f"/repos/{REPO}/pulls/1/commits")
    assert [c["sha"] for c in commits] == [world.head_sha, second]
    assert [c["commit"]["message"] for c in commits] == ["Update files", "Second"]
    assert all("files" not in c for c in commits)
    await get_json(client, token, f"/repos/{REPO}/pulls/5/commits", 404)


def _members(data: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        return {member.name: member for member in archive.getmembers()}


def _read(data: bytes, name: str) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        extracted = archive.extractfile(name)
        assert extracted is not None
        return extracted.read()


async def test_tarball_redirects_to_a_signed_download(client: Client, world: World, token: str) -> None:
    redirect = await client.get(f"/repos/{REPO}/tarball/feature", headers=auth(token), allow_redirects=False)
    assert redirect.status == 302
    location = redirect.headers["Location"]
    assert f"/_emulator/codeload/{REPO}/tar.gz/{world.head_sha}?token=" in location
    download = await client.session.get(location)
    assert download.status == 200 and download.headers["Content-Type"] == "application/x-gzip"
    top = f"acme-widgets-{world.head_sha[:7]}"
    assert download.headers["Content-Disposition"] == f"attachment; filename={top}.tar.gz"
    data = await download.read()
    members = _members(data)
    assert {name.split("/")[0] for name in members} == {top}
    assert sorted(name for name, info in members.items() if info.isfile()) == [
        f"{top}/NOTES",
        f"{top}/README.md",
        f"{top}/src/calc.py",
    ]
    assert members[f"{top}/src"].isdir()
    assert _read(data, f"{top}/NOTES") == b"no newline"
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        assert archive.pax_headers["comment"] == world.head_sha


async def test_tarball_download_needs_a_valid_fresh_token(client: Client, world: World, token: str) -> None:
    now = [world.state.clock()]
    world.state.clock = lambda: now[0]
    redirect = await client.get(f"/repos/{REPO}/tarball/main", headers=auth(token), allow_redirects=False)
    location = redirect.headers["Location"]
    forged = location.rsplit(".", 1)[0] + "." + "0" * 64
    assert (await client.session.get(forged)).status == 404
    assert (await client.session.get(location.split("?")[0])).status == 404
    now[0] += 301
    expired = await client.session.get(location)
    assert expired.status == 404 and await expired.text() == "404: Not Found"
    assert (await client.get(f"/repos/{REPO}/tarball/main", allow_redirects=False)).status == 404
    unknown = await client.get(f"/repos/{REPO}/tarball/nope", headers=auth(token), allow_redirects=False)
    assert unknown.status == 404


async def test_following_the_redirect_gets_the_archive(client: Client, token: str) -> None:
    url = client.make_url(f"/repos/{REPO}/tarball/main")
    async with client.session.get(url, headers=auth(token)) as response:
        assert response.status == 200
        assert len(response.history) == 1 and response.history[0].status == 302
        assert "acme-widgets-" in next(iter(_members(await response.read())))
