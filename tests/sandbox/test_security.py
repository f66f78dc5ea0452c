"""A pull request's code attacking the worker from inside the sandbox: every attempt fails, the run gets a
clear reason, the worker serves the next run, and nothing outside the sandbox changes.

The attacks run as this interpreter inside the real bubblewrap sandbox; where an attack would succeed
without the sandbox, the test first shows that (a listener the host can reach, a file the host can read)
so that it cannot pass by accident.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from maze.sandbox.api import Limits, Outcome, RunRequest
from maze.sandbox.bubblewrap import BubblewrapSandbox
from maze.sandbox.uids import uid_range
from maze.sandbox.workspace import private_copy
from tests.sandbox.support import assert_still_serving, processes_of, processes_with, python

SECRETS = {
    "MAZE_DATABASE_URL": f"postgresql+psycopg://maze:{secrets.token_hex(8)}@127.0.0.1:5432/maze",
    "MAZE_WEBHOOK_SECRET": f"webhook-{secrets.token_hex(12)}",
    "MAZE_GITHUB_PRIVATE_KEY": f"-----BEGIN PRIVATE KEY-----{secrets.token_hex(16)}",
    "MAZE_REDIS_URL": f"redis://:{secrets.token_hex(8)}@127.0.0.1:6379/0",
}

# Everything a process can find in its own and other processes' environments.
DUMP_ENVIRONMENTS = """
import json, os
seen = {"environ": dict(os.environ), "proc": {}}
for pid in os.listdir("/proc"):
    if pid.isdigit() or pid == "self":
        try:
            seen["proc"][pid] = open(f"/proc/{pid}/environ", "rb").read().decode(errors="replace")
        except OSError as error:
            seen["proc"][pid] = f"error {error.errno}"
seen["ppid"] = os.getppid()
print(json.dumps(seen))
"""


def _tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        if path.is_file() and not path.is_symlink():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def worker_secrets(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    return SECRETS


def test_the_workers_environment_secrets_are_out_of_reach(
    sandbox: BubblewrapSandbox, tree: Path, worker_secrets: dict[str, str]
) -> None:
    assert all(os.environ[name] == value for name, value in worker_secrets.items())
    result = python(sandbox, tree, DUMP_ENVIRONMENTS)
    assert result.ok, result
    seen = json.loads(result.stdout)
    for name, value in worker_secrets.items():
        assert name not in seen["environ"]
        assert value.encode() not in result.stdout and value.encode() not in result.stderr
    assert seen["ppid"] < 10, "the parent is a process of the sandbox's own PID namespace"
    assert str(os.getpid()) not in seen["proc"] or os.getpid() < 10
    visible = [int(pid) for pid in seen["proc"] if pid.isdigit()]
    assert max(visible) < 50, "only the sandbox's processes are visible"
    with pytest.raises(ValueError, match="MAZE_WEBHOOK_SECRET"):
        python(sandbox, tree, "pass", env={"MAZE_WEBHOOK_SECRET": worker_secrets["MAZE_WEBHOOK_SECRET"]})
    assert_still_serving(sandbox, tree)


def test_proc_1_environ_holds_no_secrets(
    sandbox: BubblewrapSandbox, tree: Path, worker_secrets: dict[str, str]
) -> None:
    code = (
        "import os\n"
        "try:\n"
        "    print(open('/proc/1/environ', 'rb').read())\n"
        "except OSError as error:\n"
        "    print('refused', error.errno)\n"
        "print(open('/proc/1/cmdline', 'rb').read().split(b'\\0')[0].decode())\n"
    )
    result = python(sandbox, tree, code)
    assert result.ok, result
    first, cmdline = result.stdout.splitlines()
    assert first == f"refused {errno.EACCES}".encode() or not any(
        value.encode() in first for value in worker_secrets.values()
    )
    assert cmdline == b"bash", "PID 1 is the sandbox's own init script, not the machine's init"
    for value in worker_secrets.values():
        assert value.encode() not in result.stdout
    assert_still_serving(sandbox, tree)


@pytest.fixture
def key_files(tmp_path: Path) -> Iterator[list[Path]]:
    """A private key outside the workdir, under /root and under /etc, as the app's key would be."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    token = secrets.token_hex(6)
    paths = [
        tmp_path / "app-key.pem",
        Path(f"/root/maze-test-key-{token}.pem"),
        Path(f"/etc/maze-test-{token}.pem"),
    ]
    written = []
    try:
        for path in paths:
            try:
                path.write_bytes(pem)
            except OSError:
                continue
            os.chmod(path, 0o644)
            written.append(path)
        yield written
    finally:
        for path in written:
            path.unlink(missing_ok=True)


def test_private_key_files_are_unreadable(
    sandbox: BubblewrapSandbox, tree: Path, key_files: list[Path]
) -> None:
    assert key_files and all(path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY") for path in key_files)
    code = (
        "import os, sys\n"
        f"for path in {[str(p) for p in key_files]!r}:\n"
        "    try:\n"
        "        print(path, open(path).read()[:40])\n"
        "    except OSError as error:\n"
        "        print(path, 'refused', error.errno)\n"
        "for folder in ('/root', '/etc', '/tmp'):\n"
        "    print(folder, sorted(os.listdir(folder)))\n"
    )
    result = python(sandbox, tree, code)
    assert result.ok, result
    assert b"BEGIN PRIVATE KEY" not in result.stdout
    for path in key_files:
        assert f"{path} refused {errno.ENOENT}".encode() in result.stdout
        assert path.name.encode() not in result.stdout.split(b"\n", len(key_files))[-1]
    assert_still_serving(sandbox, tree)


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def test_redis_postgres_and_host_listeners_cannot_be_reached(sandbox: BubblewrapSandbox, tree: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        ports = [port, 6379, 5432]
        assert _reachable(port)
        on_host = {p: _reachable(p) for p in (6379, 5432)}
        code = (
            "import socket\n"
            f"for port in {ports!r}:\n"
            "    try:\n"
            "        socket.create_connection(('127.0.0.1', port), timeout=2).close()\n"
            "        print(port, 'CONNECTED')\n"
            "    except OSError as error:\n"
            "        print(port, 'refused', error.errno)\n"
        )
        result = python(sandbox, tree, code)
    assert result.ok, result
    assert b"CONNECTED" not in result.stdout
    for p in ports:
        assert f"{p} refused {errno.ECONNREFUSED}".encode() in result.stdout
    if os.environ.get("CI", "").lower() == "true":
        assert all(on_host.values()), "the services must be reachable from the host for this test to count"
    assert_still_serving(sandbox, tree)


def test_no_network_interface_but_loopback(sandbox: BubblewrapSandbox, tree: Path) -> None:
    assert len(socket.if_nameindex()) >= 1
    code = (
        "import json, os, socket\n"
        "net = sorted(os.listdir('/sys/class/net')) if os.path.isdir('/sys/class/net') else None\n"
        "print(json.dumps({'if': [name for _, name in socket.if_nameindex()], 'sys': net}))\n"
    )
    result = python(sandbox, tree, code)
    assert result.ok, result
    seen = json.loads(result.stdout)
    assert seen["if"] == ["lo"]
    assert seen["sys"] in (None, ["lo"])
    assert_still_serving(sandbox, tree)


@pytest.mark.slow
def test_a_fork_bomb_is_held_to_the_process_limit(sandbox: BubblewrapSandbox, tree: Path) -> None:
    limit = 24
    code = (
        "import os\n"
        "while True:\n"
        "    try:\n"
        "        os.fork()\n"
        "    except OSError:\n"
        "        pass\n"
    )
    peak = 0
    host_forks: list[int] = []
    done = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, len(processes_of(uid_range())))
            host_forks.append(subprocess.run(["true"], check=False).returncode)
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        result = python(sandbox, tree, code, max_processes=limit, wall_seconds=2.5)
    finally:
        done.set()
        watcher.join()
    assert result.outcome is Outcome.TIMED_OUT, result
    assert 1 < peak <= limit, f"{peak} processes at the peak, limit {limit}"
    assert host_forks and set(host_forks) == {0}, "the worker could still start processes during the bomb"
    assert_still_serving(sandbox, tree)


def test_allocating_8_gb_is_killed_for_memory(sandbox: BubblewrapSandbox, tree: Path) -> None:
    limit = 512 * 1024**2
    at_once = python(sandbox, tree, "b = bytearray(8 * 1024**3)", memory_bytes=limit)
    assert at_once.outcome is Outcome.MEMORY_LIMIT, at_once
    assert at_once.reason == "killed for memory (limit 512 MiB)"
    growing = python(
        sandbox, tree, "chunks = []\nwhile True: chunks.append(bytes(64 * 1024**2))", memory_bytes=limit
    )
    assert growing.outcome is Outcome.MEMORY_LIMIT, growing
    mapped = python(sandbox, tree, "import mmap; m = mmap.mmap(-1, 8 * 1024**3)", memory_bytes=limit)
    assert mapped.outcome is Outcome.MEMORY_LIMIT and b"Cannot allocate memory" in mapped.stderr, mapped
    if shutil.which("node"):
        node = RunRequest(["node", "-e", "new Array(1e9).fill(1)"], tree, limits=Limits(memory_bytes=limit))
        assert sandbox.run(node).outcome is Outcome.MEMORY_LIMIT
    assert_still_serving(sandbox, tree)


def test_writing_outside_the_sandbox_changes_nothing(
    sandbox: BubblewrapSandbox, tree: Path, tmp_path: Path
) -> None:
    host_tmp = tmp_path / "host-tmp-target"
    host_tmp.mkdir()
    before = _tree_digest(tree)
    targets = [
        "/maze-escape",
        "/usr/maze-escape",
        "/etc/maze-escape",
        f"{sys.prefix}/maze-escape",
        "/root/maze-escape",
        "/proc/sys/kernel/maze-escape",
        str(host_tmp / "maze-escape"),
        str(tree / "README.md"),
    ]
    code = (
        "import os\n"
        f"for target in {targets!r}:\n"
        "    try:\n"
        "        os.makedirs(os.path.dirname(target), exist_ok=True)\n"
        "        open(target, 'w').write('escaped')\n"
        "        print(target, 'written inside the sandbox')\n"
        "    except OSError as error:\n"
        "        print(target, 'refused', error.errno)\n"
        "open('README.md', 'w').write('the private copy only')\n"
    )
    with private_copy(tree) as copy:
        result = python(sandbox, copy, code)
        assert (copy / "README.md").read_text() == "the private copy only"
    assert result.ok, result
    for target in targets[:6]:
        assert f"{target} refused".encode() in result.stdout
        assert not Path(target).exists()
    assert list(host_tmp.iterdir()) == []
    assert _tree_digest(tree) == before
    assert_still_serving(sandbox, tree)


def test_filling_temp_space_stops_at_the_sandboxs_own_limits(
    sandbox: BubblewrapSandbox, tree: Path, tmp_path: Path
) -> None:
    tmp_limit = 16 * 1024**2
    code = (
        "import errno, os\n"
        "for folder in ('/tmp', '/dev/shm', '/work', '/tmp/home'):\n"
        "    written = 0\n"
        "    try:\n"
        "        with open(os.path.join(folder, 'fill'), 'wb') as handle:\n"
        "            while written < 1024**3:\n"
        "                handle.write(b'x' * 1024**2)\n"
        "                handle.flush()\n"
        "                written += 1024**2\n"
        "    except OSError as error:\n"
        "        print(folder, errno.errorcode[error.errno], written)\n"
        "    if folder != '/work':\n"
        "        os.remove(os.path.join(folder, 'fill'))\n"
        "try:\n"
        "    open('/tmp/big', 'wb').write(b'x' * 8 * 1024**2)\n"
        "except OSError as error:\n"
        "    print('big', errno.errorcode[error.errno])\n"
    )
    free_before = shutil.disk_usage(tmp_path).free
    result = python(sandbox, tree, code, tmp_bytes=tmp_limit, file_bytes=4 * 1024**2)
    free_after = shutil.disk_usage(tmp_path).free
    assert result.ok, result
    lines = result.stdout.decode().splitlines()
    assert [line.split()[:2] for line in lines[:4]] == [
        ["/tmp", "EFBIG"],
        ["/dev/shm", "EFBIG"],
        ["/work", "EFBIG"],
        ["/tmp/home", "EFBIG"],
    ]
    assert lines[4] == "big EFBIG"
    many_files = (
        "import errno, os\n"
        "for folder in ('/tmp', '/dev/shm', '/work/many'):\n"
        "    os.makedirs(folder, exist_ok=True)\n"
        "    n = 0\n"
        "    try:\n"
        "        while n < 1024:\n"
        "            open(f'{folder}/f{n}', 'wb').write(b'x' * 1024**2)\n"
        "            n += 1\n"
        "    except OSError as error:\n"
        "        print(folder, errno.errorcode[error.errno], n)\n"
    )
    wide = python(sandbox, tree, many_files, tmp_bytes=tmp_limit)
    assert wide.ok, wide
    for line in wide.stdout.decode().splitlines():
        _, code_name, count = line.split()
        assert code_name == "ENOSPC" and int(count) <= 16 + 1, line
    assert len(wide.stdout.splitlines()) == 3
    assert (tree / "fill").stat().st_size <= 4 * 1024**2, "only what /work held comes back"
    copied_back = sum(path.stat().st_size for path in (tree / "many").iterdir())
    assert copied_back <= tmp_limit + 1024**2
    assert free_before - free_after < 256 * 1024**2, "the host disk did not take the writes"
    assert_still_serving(sandbox, tree)


@pytest.mark.slow
def test_an_endless_loop_times_out(sandbox: BubblewrapSandbox, tree: Path) -> None:
    result = python(sandbox, tree, "while True: pass", wall_seconds=2)
    assert (result.outcome, result.reason) == (Outcome.TIMED_OUT, "timed out after 2 s")
    assert 2 <= result.wall_seconds < 5
    assert_still_serving(sandbox, tree)


@pytest.mark.slow
def test_a_cpu_bound_loop_hits_the_cpu_limit(sandbox: BubblewrapSandbox, tree: Path) -> None:
    result = python(sandbox, tree, "while True: pass", cpu_seconds=1, wall_seconds=20)
    assert (result.outcome, result.reason) == (Outcome.CPU_LIMIT, "exceeded the CPU time limit (1 s)")
    assert result.wall_seconds < 10
    assert_still_serving(sandbox, tree)


def test_printing_a_gigabyte_is_cut_at_the_output_limit(sandbox: BubblewrapSandbox, tree: Path) -> None:
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    code = "import sys\nchunk = b'x' * 1024**2\nfor _ in range(1024):\n    sys.stdout.buffer.write(chunk)\n"
    result = python(sandbox, tree, code, output_bytes=1024**2)
    assert result.outcome is Outcome.OUTPUT_LIMIT, result
    assert result.output_truncated and len(result.stdout) + len(result.stderr) == 1024**2
    assert result.reason == "stopped after printing more than 1 MiB (output cut there)"
    assert time.monotonic() - started < 5
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    assert grown_kib < 64 * 1024, f"the worker's peak memory grew by {grown_kib} KiB"
    assert_still_serving(sandbox, tree)


@pytest.mark.parametrize(
    "attack",
    [
        "os.kill(os.getppid(), signal.SIGKILL)",
        "os.kill(-1, signal.SIGKILL)",
        "os.kill(int(os.environ['WORKER_PID']), signal.SIGKILL)",
        "os.kill(int(os.environ['CANARY_PID']), signal.SIGKILL)",
        "os.kill(1, signal.SIGKILL)",
    ],
)
def test_signalling_the_parent_or_the_worker_fails(
    sandbox: BubblewrapSandbox, tree: Path, attack: str
) -> None:
    canary = subprocess.Popen(["sleep", "60"])
    try:
        code = (
            "import os, signal\n"
            "try:\n"
            f"    {attack}\n"
            "    print('sent')\n"
            "except OSError as error:\n"
            "    print('refused', error.errno)\n"
        )
        env = {"WORKER_PID": str(os.getpid()), "CANARY_PID": str(canary.pid)}
        result = python(sandbox, tree, code, env=env)
        assert canary.poll() is None, "a process on the host was killed from inside the sandbox"
    finally:
        canary.kill()
        canary.wait()
    assert result.outcome is Outcome.EXITED, result
    refusals = (f"refused {errno.EPERM}\n".encode(), f"refused {errno.ESRCH}\n".encode())
    assert result.stdout in (*refusals, b"sent\n")
    if "-1" not in attack:
        assert result.stdout != b"sent\n"
    assert_still_serving(sandbox, tree)


@pytest.mark.slow
def test_the_sandbox_dies_with_its_worker(tree: Path) -> None:
    marker = f"{secrets.randbelow(10**6) + 10**6}.25"
    worker = (
        "import sys\n"
        "from pathlib import Path\n"
        "from maze.sandbox.api import Limits, RunRequest\n"
        "from maze.sandbox.bubblewrap import BubblewrapSandbox\n"
        f"request = RunRequest(['sleep', '{marker}'], Path(sys.argv[1]), limits=Limits(wall_seconds=60))\n"
        "BubblewrapSandbox().run(request)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", worker, str(tree)], cwd=Path(__file__).parents[2])
    try:
        deadline = time.monotonic() + 10
        while not processes_with(f"sleep\0{marker}") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert processes_with(f"sleep\0{marker}"), "the sandboxed command never started"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 5
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not processes_with(marker), "the sandbox outlived its worker"
    assert not processes_of(uid_range(proc.pid))
