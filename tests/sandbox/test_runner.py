"""The runners' contract: output, exit codes, stdin, the workdir copy, the environment, limits, failures."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from maze.sandbox import environment
from maze.sandbox.api import Limits, Mount, Outcome, RunRequest, SandboxUnavailable
from maze.sandbox.bubblewrap import BubblewrapSandbox
from maze.sandbox.factory import bubblewrap_status, make_runner, unavailable_message
from maze.sandbox.plain import UnsandboxedRunner
from maze.sandbox.supervise import human_bytes
from maze.sandbox.workspace import private_copy, top_level_names, tree_bytes
from tests.sandbox.support import processes_of, python

BASE_NAMES = set(environment.base_environment(["/usr/bin"], "/h", "/t"))


def test_runs_and_captures_stdout_stderr_and_exit_code(sandbox: BubblewrapSandbox, tree: Path) -> None:
    result = sandbox.run(RunRequest(["bash", "-c", "echo out; echo err >&2; exit 3"], tree))
    assert (result.outcome, result.exit_code) == (Outcome.EXITED, 3)
    assert (result.stdout, result.stderr) == (b"out\n", b"err\n")
    assert result.reason == "exited with status 3" and not result.ok
    assert sandbox.run(RunRequest(["true"], tree)).ok
    assert sandbox.isolated and sandbox.name == "bubblewrap"


def test_an_empty_workdir_works(sandbox: BubblewrapSandbox, tmp_path: Path) -> None:
    result = sandbox.run(RunRequest(["ls", "-A", "/work"], tmp_path))
    assert result.ok and result.stdout == b""


def test_stdin_reaches_the_command(sandbox: BubblewrapSandbox, tree: Path) -> None:
    data = os.urandom(300_000)
    result = sandbox.run(RunRequest(["sha256sum"], tree, stdin=data))
    assert result.ok
    assert result.stdout.split()[0].decode() == hashlib.sha256(data).hexdigest()


def test_the_command_works_on_a_writable_copy_at_work_and_its_changes_come_back(
    sandbox: BubblewrapSandbox, tree: Path
) -> None:
    code = (
        "import os, pathlib; print(os.getcwd()); print(pathlib.Path('README.md').read_text(), end='');"
        "pathlib.Path('pkg/mod.py').write_text('VALUE = 43\\n');"
        "pathlib.Path('new/deeper').mkdir(parents=True);"
        "pathlib.Path('new/deeper/report.xml').write_text('<ok/>')"
    )
    result = python(sandbox, tree, code)
    assert result.ok, result
    assert result.stdout == b"/work\nhello from the tree\n"
    assert (tree / "pkg" / "mod.py").read_text() == "VALUE = 43\n"
    assert (tree / "new" / "deeper" / "report.xml").read_text() == "<ok/>"
    assert (tree / "README.md").read_text() == "hello from the tree\n"


def test_a_change_that_would_leave_the_workdir_is_not_copied_back(
    sandbox: BubblewrapSandbox, tree: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (tree / "out").symlink_to(outside)
    code = (
        "import os; os.remove('out'); os.mkdir('out'); open('out/pwned', 'w').write('x');"
        "os.symlink('/etc/passwd', 'passwd-link'); os.symlink('../../../', 'up')"
    )
    result = python(sandbox, tree, code)
    assert result.ok, result
    assert list(outside.iterdir()) == []
    assert (tree / "out").is_symlink()
    assert not (tree / "passwd-link").exists() and not (tree / "up").exists()


def test_the_toolchain_is_there_and_read_only(sandbox: BubblewrapSandbox, tree: Path) -> None:
    targets = ["/usr/maze-probe", f"{sys.prefix}/maze-probe", "/etc/maze-probe", "/maze-probe"]
    code = (
        "import sys\n"
        f"for target in {targets!r}:\n"
        "    try:\n"
        "        open(target, 'w')\n"
        "    except OSError as error:\n"
        "        print(target, error.errno)\n"
        "    else:\n"
        "        print(target, 'WRITABLE')\n"
    )
    result = python(sandbox, tree, code)
    assert result.ok, result
    assert b"WRITABLE" not in result.stdout
    assert len(result.stdout.splitlines()) == len(targets)
    for target in targets:
        assert not Path(target).exists()
    tools = sandbox.run(RunRequest(["bash", "-c", "python3 --version && tar --version | head -1"], tree))
    assert tools.ok, tools
    if shutil.which("node"):
        node = sandbox.run(RunRequest(["node", "-e", "console.log(6 * 7)"], tree))
        assert node.ok and node.stdout == b"42\n", node


def test_the_environment_is_the_allowlisted_one(
    sandbox: BubblewrapSandbox, tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEAKY_HOST_VARIABLE", "from the worker")
    code = "import json, os; print(json.dumps(dict(os.environ)))"
    result = python(sandbox, tree, code, env={"CI": "true", "PYTEST_ADDOPTS": "-x"})
    assert result.ok, result
    seen = json.loads(result.stdout)
    assert set(seen) == BASE_NAMES | {"CI", "PYTEST_ADDOPTS"}
    assert seen["HOME"] == "/tmp/home" and seen["CI"] == "true"
    assert seen["PATH"].split(":")[0] == f"{sys.prefix}/bin"


def test_home_and_tmp_are_writable(sandbox: BubblewrapSandbox, tree: Path) -> None:
    script = "echo a > $HOME/.x && echo b > /tmp/y && echo c > /dev/shm/z && id -un"
    result = sandbox.run(RunRequest(["bash", "-c", script], tree))
    assert result.ok, result
    assert result.stdout == b"sandbox\n"


@pytest.mark.parametrize(
    "name",
    [
        "MAZE_DATABASE_URL",
        "DATABASE_URL",
        "REDIS_URL",
        "GITHUB_TOKEN",
        "WEBHOOK_SECRET",
        "API_KEY",
        "AWS_SECRET_ACCESS_KEY",
        "PGPASSWORD",
        "MAZE_SANDBOX",
        "bad name",
    ],
)
def test_secret_looking_variables_are_refused(sandbox: BubblewrapSandbox, tree: Path, name: str) -> None:
    with pytest.raises(ValueError, match="never passed to repository code"):
        sandbox.run(RunRequest(["true"], tree, env={name: "value"}))
    with pytest.raises(ValueError, match=repr(name).replace("$", r"\$")):
        UnsandboxedRunner().run(RunRequest(["true"], tree, env={name: "value"}))


@pytest.mark.parametrize("name", ["CI", "PYTEST_ADDOPTS", "NODE_OPTIONS", "GIT_AUTHOR_NAME", "LANG", "PATH"])
def test_ordinary_variables_pass(name: str) -> None:
    assert environment.refusal(name) is None


def test_the_limits_are_set_inside(sandbox: BubblewrapSandbox, tree: Path) -> None:
    limits = Limits(cpu_seconds=7, memory_bytes=768 * 1024**2, max_processes=40, file_bytes=5 * 1024**2)
    code = (
        "import resource as r; print([r.getrlimit(x) for x in "
        "(r.RLIMIT_CPU, r.RLIMIT_AS, r.RLIMIT_NPROC, r.RLIMIT_FSIZE, r.RLIMIT_CORE)])"
    )
    result = sandbox.run(RunRequest([sys.executable, "-c", code], tree, limits=limits))
    assert result.ok, result
    expected = [(7, 8), (768 * 1024**2,) * 2, (40, 40), (5 * 1024**2,) * 2, (0, 0)]
    assert result.stdout.decode().strip() == str(expected)


@pytest.mark.slow
def test_a_run_over_its_wall_time_is_stopped(sandbox: BubblewrapSandbox, tree: Path) -> None:
    result = sandbox.run(RunRequest(["sleep", "30"], tree, limits=Limits(wall_seconds=1)))
    assert (result.outcome, result.exit_code) == (Outcome.TIMED_OUT, None)
    assert result.reason == "timed out after 1 s"
    assert 1 <= result.wall_seconds < 4


def test_a_signal_is_reported(sandbox: BubblewrapSandbox, tree: Path) -> None:
    result = python(sandbox, tree, "import os, signal; os.kill(os.getpid(), signal.SIGTERM)")
    assert (result.outcome, result.reason) == (Outcome.KILLED, "killed by SIGTERM")


def test_a_file_over_the_size_limit_fails_to_grow(sandbox: BubblewrapSandbox, tree: Path) -> None:
    code = "open('big', 'wb').write(b'x' * (3 * 1024**2))"
    result = python(sandbox, tree, code, file_bytes=1024**2)
    assert result.outcome is Outcome.EXITED and result.exit_code == 1
    assert b"File too large" in result.stderr


def test_a_missing_command_fails_to_start(sandbox: BubblewrapSandbox, tree: Path) -> None:
    result = sandbox.run(RunRequest(["no-such-tool-here"], tree))
    assert result.outcome is Outcome.FAILED_TO_START
    assert result.reason == "failed to start: command not found: no-such-tool-here"


def test_a_bwrap_setup_failure_is_reported_with_its_message(tree: Path) -> None:
    broken = BubblewrapSandbox(toolchain=[Path("/nonexistent-toolchain")])
    result = broken.run(RunRequest(["true"], tree))
    assert result.outcome is Outcome.FAILED_TO_START
    assert "bwrap:" in result.reason and "/nonexistent-toolchain" in result.reason
    missing = BubblewrapSandbox(bwrap="/nonexistent/bwrap").run(RunRequest(["true"], tree))
    assert missing.outcome is Outcome.FAILED_TO_START and "No such file" in missing.reason


def test_extra_mounts_are_read_only_unless_writable(
    sandbox: BubblewrapSandbox, tree: Path, tmp_path: Path
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "data.txt").write_text("shared\n")
    os.chmod(tmp_path, 0o755)
    request = RunRequest(
        ["bash", "-c", "cat /opt/shared/data.txt; touch /opt/shared/new 2>/dev/null || echo read-only"],
        tree,
        extra_mounts=[Mount(shared, "/opt/shared")],
    )
    result = sandbox.run(request)
    assert result.ok and result.stdout == b"shared\nread-only\n", result
    with pytest.raises(ValueError, match="would cover"):
        sandbox.run(RunRequest(["true"], tree, extra_mounts=[Mount(shared, "/work/x")]))


def test_the_plain_runner_keeps_the_contract_and_warns(
    tree: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEAKY_HOST_VARIABLE", "from the worker")
    runner = UnsandboxedRunner()
    assert not runner.isolated and runner.name == "none"
    code = "import os, json; open('out.txt', 'w').write('x'); print(json.dumps([os.getcwd(), [*os.environ]]))"
    with caplog.at_level(logging.WARNING, logger="maze.sandbox.plain"):
        result = python(runner, tree, code)
    assert result.ok, result
    cwd, names = json.loads(result.stdout)
    assert Path(cwd) == tree and (tree / "out.txt").read_text() == "x"
    assert set(names) == BASE_NAMES
    assert "WITHOUT isolation" in caplog.text
    echo = runner.run(RunRequest(["cat"], tree, stdin=b"piped"))
    assert echo.stdout == b"piped"
    missing = runner.run(RunRequest(["no-such-tool-here"], tree))
    assert missing.outcome is Outcome.FAILED_TO_START


@pytest.mark.slow
def test_the_plain_runner_enforces_time_memory_and_output(tree: Path) -> None:
    runner = UnsandboxedRunner()
    assert python(runner, tree, "import time; time.sleep(30)", wall_seconds=1).outcome is Outcome.TIMED_OUT
    assert python(runner, tree, "while True: pass", cpu_seconds=1).outcome is Outcome.CPU_LIMIT
    memory = python(runner, tree, "b = bytearray(8 * 1024**3)", memory_bytes=512 * 1024**2)
    assert memory.outcome is Outcome.MEMORY_LIMIT and memory.reason == "killed for memory (limit 512 MiB)"
    code = "import sys\nwhile True: sys.stdout.write('x' * 65536)"
    flood = python(runner, tree, code, output_bytes=1024**2)
    assert flood.outcome is Outcome.OUTPUT_LIMIT and len(flood.stdout) == 1024**2 and flood.output_truncated


def test_the_factory_picks_the_runner_and_refuses_without_bubblewrap(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    status = bubblewrap_status()
    assert status.available and status.version and status.problem is None
    assert isinstance(make_runner("bubblewrap"), BubblewrapSandbox)
    with caplog.at_level(logging.WARNING, logger="maze.sandbox.factory"):
        assert isinstance(make_runner("none"), UnsandboxedRunner)
    assert "without isolation" in caplog.text

    absent = bubblewrap_status("no-such-bwrap")
    assert not absent.available and absent.problem == "no-such-bwrap is not installed"
    broken = bubblewrap_status("false")
    assert not broken.available and broken.problem and "trial run fails" in broken.problem

    monkeypatch.setattr("maze.sandbox.factory.shutil.which", lambda name: None)
    with pytest.raises(SandboxUnavailable) as refused:
        make_runner("bubblewrap")
    message = str(refused.value)
    assert 'sandbox = "bubblewrap"' in message and "`bubblewrap`" in message and 'sandbox = "none"' in message
    assert message == unavailable_message("bwrap is not installed")


def test_workspace_helpers(tree: Path) -> None:
    assert top_level_names(tree) == ["./README.md", "./pkg"]
    assert tree_bytes(tree) >= 2 * 4096
    with private_copy(tree) as copy:
        assert (copy / "pkg" / "mod.py").read_text() == "VALUE = 42\n"
        (copy / "README.md").write_text("changed")
    assert not copy.exists()
    assert (tree / "README.md").read_text() == "hello from the tree\n"
    assert human_bytes(512 * 1024**2) == "512 MiB" and human_bytes(1000) == "1000 bytes"


def test_limits_never_exceed_the_workers_own(sandbox: BubblewrapSandbox, tree: Path) -> None:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    result = python(sandbox, tree, "import resource; print(resource.getrlimit(resource.RLIMIT_NOFILE)[1])")
    assert result.ok and int(result.stdout) <= hard
    assert signal.SIGKILL  # the module is used for the reason strings above


UNPRIVILEGED_CHECK = """
import json, sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from maze.sandbox.api import Limits, RunRequest
from maze.sandbox.bubblewrap import BubblewrapSandbox

runner = BubblewrapSandbox()
probe = "id -u; ulimit -u; grep CapEff /proc/self/status; ls /sys/class/net 2>/dev/null || echo no-sys"
seen = runner.run(RunRequest(["bash", "-c", probe], Path(sys.argv[2]), env={"CI": "true"}))
bomb_limits = Limits(max_processes=16, wall_seconds=1)
bomb_argv = ["bash", "-c", "while true; do sleep 5 & done"]
bomb = runner.run(RunRequest(bomb_argv, Path(sys.argv[2]), limits=bomb_limits))
print(json.dumps([runner.privileged, seen.outcome, seen.stdout.decode(), bomb.outcome]))
"""


@pytest.mark.slow
def test_an_unprivileged_worker_gets_bubblewraps_user_namespace() -> None:
    system_python = Path("/usr/bin/python3")
    if os.geteuid() != 0 or not system_python.exists() or not shutil.which("setpriv"):
        pytest.skip("needs root (to become another uid), /usr/bin/python3 and setpriv")
    uid = 1_900_000_000 + os.getpid() % 100_000
    workdir = Path(tempfile.mkdtemp(prefix="maze-unprivileged-"))
    try:
        (workdir / "file.txt").write_text("x")
        os.chown(workdir, uid, uid)
        os.chown(workdir / "file.txt", uid, uid)
        repo = Path(__file__).resolve().parents[2]
        completed = subprocess.run(
            ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--",
             str(system_python), "-I", "-c", UNPRIVILEGED_CHECK, str(repo), str(workdir)],
            capture_output=True, timeout=60, env={"PATH": "/usr/bin:/bin"}, check=False,
        )  # fmt: skip
    finally:
        shutil.rmtree(workdir)
    assert not processes_of(range(uid, uid + 1))
    assert completed.returncode == 0, completed.stderr.decode()
    privileged, outcome, stdout, bomb = json.loads(completed.stdout)
    assert not privileged and outcome == "exited" and bomb == "timed out"
    user, processes, caps, net = stdout.splitlines()
    assert int(user) == uid and int(processes) >= 16
    assert caps.split()[1] == "0000000000000000"
    assert net in ("no-sys", "lo")
