"""Benchmark corpora: pinned archives from PyPI and npm, and a copy of the interpreter's standard library.

Archives are fetched once by pinned URL, checked against a pinned sha256 (and npm's sha512 integrity for
the npm tarball) and kept under `.maze/bench-cache/` in the repository (gitignored through `.maze/`). A
download or a cached file whose digest differs is refused with an error; nothing is fetched from any host
other than PyPI's and npm's.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import sysconfig
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

REPOSITORY = Path(__file__).resolve().parent.parent
CACHE_DIR = REPOSITORY / ".maze" / "bench-cache"
ALLOWED_HOSTS = frozenset({"files.pythonhosted.org", "registry.npmjs.org"})


class FetchError(Exception):
    """A download failed, or its digest is not the pinned one."""


@dataclass(frozen=True)
class Archive:
    """A pinned release archive; `top` is the single folder every member sits in."""

    name: str
    version: str
    url: str
    sha256: str
    top: str
    sha512_integrity: str | None = None

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1]


# sha256 from PyPI's JSON API (releases["8.5.1"], packagetype sdist), checked against the downloaded file.
CLICK = Archive(
    name="click",
    version="8.5.1",
    url=(
        "https://files.pythonhosted.org/packages/45/37/"
        "edbf1b0707709013c0cf2e8317e03d97ed29bf4cac709fe328904ae92a38/click-8.5.1.tar.gz"
    ),
    sha256="9bbfada76703fd1d784b83eea012e3e8c6a001a876543ef104fa56aaaeb072b4",
    top="click-8.5.1",
)

# sha256 computed on first fetch, after checking npm's dist.integrity (sha512) for rxjs@7.8.2.
RXJS = Archive(
    name="rxjs",
    version="7.8.2",
    url="https://registry.npmjs.org/rxjs/-/rxjs-7.8.2.tgz",
    sha256="2312f8ffd9726ffd7bd53ea12c5f13663d09a3dc3326f448c70b88f5ef6fac82",
    top="package",
    sha512_integrity=(
        "sha512-dhKf903U/PQZY6boNNtAGdWbG85WAbjT/1xYoZIC7FAY0yWapOBQVsVrDl58W86//e1VpMNBtRV4MaXfdMySFA=="
    ),
)

ARCHIVES = {archive.name: archive for archive in (CLICK, RXJS)}
CORPORA = ("click", "rxjs", "stdlib")


@dataclass(frozen=True)
class Corpus:
    """A tree on disk that every tool in the benchmark reads."""

    name: str
    root: Path
    description: str


def _check(archive: Archive, data: bytes, origin: str, *, cached: bool = False) -> None:
    digest = hashlib.sha256(data).hexdigest()
    if digest != archive.sha256:
        advice = f" (delete {origin} if it is a stale or corrupt cached copy)" if cached else ""
        raise FetchError(
            f"{archive.filename} from {origin}: sha256 {digest} is not the pinned {archive.sha256}; "
            f"refusing to use it{advice}"
        )
    if archive.sha512_integrity is not None:
        integrity = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")
        if integrity != archive.sha512_integrity:
            raise FetchError(
                f"{archive.filename} from {origin}: integrity {integrity} is not npm's pinned "
                f"{archive.sha512_integrity}; refusing to use it"
            )


def fetch(archive: Archive, cache_dir: Path = CACHE_DIR) -> Path:
    """The archive's path in the cache, downloaded and verified on first use."""
    target = cache_dir / archive.filename
    if target.exists():
        _check(archive, target.read_bytes(), str(target), cached=True)
        return target
    host = urlparse(archive.url).hostname
    if host not in ALLOWED_HOSTS:
        raise FetchError(f"{archive.url}: only {sorted(ALLOWED_HOSTS)} are fetched from")
    try:
        with urllib.request.urlopen(archive.url, timeout=120) as response:
            data = response.read()
    except OSError as error:
        raise FetchError(f"cannot download {archive.url}: {error}") from error
    _check(archive, data, archive.url)
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".part")
    partial.write_bytes(data)
    partial.replace(target)
    return target


def extract_archive(archive: Archive, path: Path, destination: Path) -> None:
    """Unpack into `destination` without the archive's top folder; links and absolute paths are refused."""
    destination.mkdir(parents=True)
    prefix = archive.top + "/"
    with tarfile.open(path, mode="r:*") as tar:
        members = []
        for member in tar.getmembers():
            if not member.name.startswith(prefix) or member.name == prefix:
                continue
            member.name = member.name[len(prefix) :]
            members.append(member)
        tar.extractall(destination, members=members, filter="data")


def stdlib_root() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def copy_stdlib(destination: Path) -> None:
    """Every `.py` file of the running interpreter's standard library, without site- or dist-packages."""
    source = stdlib_root()
    for directory, subdirectories, names in os.walk(source):
        subdirectories[:] = sorted(
            name for name in subdirectories if name not in {"site-packages", "dist-packages", "__pycache__"}
        )
        relative = Path(directory).relative_to(source)
        for name in sorted(names):
            full = Path(directory) / name
            if name.endswith(".py") and full.is_file() and not full.is_symlink():
                (destination / relative).mkdir(parents=True, exist_ok=True)
                shutil.copyfile(full, destination / relative / name)


def prepare(name: str, workdir: Path) -> Corpus:
    """Fetch (when needed) and lay out corpus `name` under `workdir`."""
    root = workdir / name
    if name == "stdlib":
        copy_stdlib(root)
        return Corpus(name, root, f"CPython {sysconfig.get_python_version()} standard library .py files")
    archive = ARCHIVES[name]
    extract_archive(archive, fetch(archive), root)
    return Corpus(name, root, f"{archive.filename} (sha256 {archive.sha256[:12]}...)")
