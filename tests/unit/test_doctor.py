"""`maze doctor`: checks what it says it checks, and exits 1 on a problem."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from maze.sandbox import factory
from maze.sandbox.factory import SandboxStatus
from maze.store import schema


def _doctor(url: str, *extra: str) -> tuple[int, dict[str, dict[str, str]]]:
    result = CliRunner().invoke(main, ["--database-url", url, *extra, "doctor", "--json"])
    return result.exit_code, {check["name"]: check for check in json.loads(result.output)}


def test_a_healthy_embedded_setup(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'maze.db'}"
    schema.upgrade(url)
    if not factory.bubblewrap_status().available:
        pytest.skip("bubblewrap is not usable on this machine")
    code, checks = _doctor(url)
    assert code == 0
    assert checks["database"]["status"] == "ok" and checks["sandbox"]["status"] == "ok"
    assert checks["queue"]["detail"].startswith("embedded")


def test_an_old_schema_and_a_missing_sandbox_are_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    schema.upgrade(url, "0001")
    monkeypatch.setattr(factory, "bubblewrap_status", lambda: SandboxStatus(False, None, None, "not found"))
    code, checks = _doctor(url)
    assert code == 1
    assert "maze db upgrade" in checks["database"]["detail"]
    assert checks["sandbox"]["status"] == "problem"
    assert "bubblewrap" in checks["sandbox"]["detail"] and 'sandbox = "none"' in checks["sandbox"]["detail"]


def test_sandbox_none_is_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'maze.db'}"
    schema.upgrade(url)
    monkeypatch.setenv("MAZE_SANDBOX", "none")
    _, checks = _doctor(url)
    assert checks["sandbox"]["status"] == "warning" and "WITHOUT isolation" in checks["sandbox"]["detail"]


def test_the_model_check_follows_the_provider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'maze.db'}"
    schema.upgrade(url)
    _, checks = _doctor(url)
    assert checks["model"]["status"] == "ok" and "tool and symbolic repairs only" in checks["model"]["detail"]

    monkeypatch.setenv("MAZE_MODEL_PROVIDER", "local")
    monkeypatch.setenv("MAZE_MODEL_PATH", str(tmp_path / "missing.gguf"))
    code, checks = _doctor(url)
    assert code == 1 and checks["model"]["status"] == "problem"
    assert "does not exist" in checks["model"]["detail"]

    monkeypatch.setenv("MAZE_MODEL_PROVIDER", "openai")
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("MAZE_MODEL_URL", f"http://127.0.0.1:{port}/v1")
    code, checks = _doctor(url)
    assert code == 1 and "unreachable" in checks["model"]["detail"]
