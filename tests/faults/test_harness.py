"""Self-tests of the fault tools on real sockets, a real PostgreSQL, real redis-servers and real processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from sqlalchemy import create_engine, text

from tests.conftest import POSTGRES_ADMIN_URL
from tests.faults import (
    PrivateRedis,
    ProcessGroup,
    TcpOutageProxy,
    descendants,
    free_port,
    is_alive,
    kill_process_tree,
    maze_worker_argv,
    wait_dead,
)

LIBPQ_URL = POSTGRES_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://", 1)

# Forks `n` children; each child forks a grandchild; everybody sleeps. Prints nothing.
FORKER = """
import os, sys, time
for _ in range(int(sys.argv[1])):
    if os.fork() == 0:
        if os.fork() == 0:
            time.sleep(600)
            os._exit(0)
        time.sleep(600)
        os._exit(0)
time.sleep(600)
"""


# -- free_port ---------------------------------------------------------------------------------------------


def test_free_port_can_be_bound() -> None:
    port = free_port()
    assert 1024 < port < 65536
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


# -- TcpOutageProxy ----------------------------------------------------------------------------------------


@pytest.fixture()
def echo_server() -> Iterator[tuple[str, int]]:
    """A threaded TCP echo server that echoes until the client half-closes, then closes."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()
    handlers: list[threading.Thread] = []

    def echo(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(30)
            try:
                while data := conn.recv(65536):
                    conn.sendall(data)
            except OSError:
                return

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            handler = threading.Thread(target=echo, args=(conn,), name="echo-handler")
            handlers.append(handler)
            handler.start()

    server = threading.Thread(target=serve, name="echo-server")
    server.start()
    yield listener.getsockname()
    stop.set()
    server.join(10)
    listener.close()
    for handler in handlers:
        handler.join(35)


def _roundtrip(sock: socket.socket, payload: bytes) -> bytes:
    received = bytearray()

    def send() -> None:
        sock.sendall(payload)

    sender = threading.Thread(target=send, name="roundtrip-sender")
    sender.start()
    while len(received) < len(payload):
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk
    sender.join(30)
    return bytes(received)


def test_url_for_points_urls_at_the_proxy() -> None:
    with TcpOutageProxy("127.0.0.1", free_port()) as proxy:
        port = proxy.port
        assert proxy.url_for("postgresql+psycopg://postgres@127.0.0.1:5432/db") == (
            f"postgresql+psycopg://postgres@127.0.0.1:{port}/db"
        )
        assert proxy.url_for("postgresql+psycopg://u:p%40ss@db.example:6543/x?sslmode=disable") == (
            f"postgresql+psycopg://u:p%40ss@127.0.0.1:{port}/x?sslmode=disable"
        )
        assert proxy.url_for("redis://localhost/0") == f"redis://127.0.0.1:{port}/0"
    assert TcpOutageProxy.for_url("postgresql+psycopg://postgres@10.1.2.3/db").target == ("10.1.2.3", 5432)
    assert TcpOutageProxy.for_url("redis://127.0.0.1:7000/1").target == ("127.0.0.1", 7000)


def test_proxy_forwards_bytes_and_half_close(echo_server: tuple[str, int]) -> None:
    payload = os.urandom(3 * 1024 * 1024 + 17)
    with TcpOutageProxy(*echo_server) as proxy:
        with socket.create_connection(proxy.address, timeout=30) as sock:
            assert _roundtrip(sock, payload) == payload
            sock.shutdown(socket.SHUT_WR)
            assert sock.recv(1) == b""  # the echo server saw EOF through the proxy and closed
        assert proxy.connections_accepted == 1


def test_proxy_outage_refuses_and_resets(echo_server: tuple[str, int]) -> None:
    with TcpOutageProxy(*echo_server) as proxy:
        port = proxy.port
        existing = socket.create_connection(proxy.address, timeout=30)
        try:
            assert _roundtrip(existing, b"hello") == b"hello"
            with proxy.down():
                assert proxy.is_down
                with pytest.raises(ConnectionRefusedError):
                    socket.create_connection(proxy.address, timeout=5).close()
                with pytest.raises((ConnectionResetError, BrokenPipeError)):
                    existing.sendall(b"x")
                    if not existing.recv(1):
                        raise ConnectionResetError("closed instead of reset")
                assert proxy.active_connections == 0
        finally:
            existing.close()
        assert not proxy.is_down and proxy.port == port
        with socket.create_connection(proxy.address, timeout=30) as again:
            assert _roundtrip(again, b"back") == b"back"
        assert proxy.connections_accepted == 2
        assert proxy.outages == 1


def test_proxy_reports_unreachable_upstream_as_reset() -> None:
    with TcpOutageProxy("127.0.0.1", free_port()) as proxy:
        with socket.create_connection(proxy.address, timeout=30) as sock, pytest.raises(ConnectionResetError):
            if not sock.recv(1):
                raise ConnectionResetError("closed instead of reset")
        assert proxy.upstream_failures == 1


@pytest.mark.services
def test_postgres_through_proxy_outage(postgres_proxy: TcpOutageProxy) -> None:
    url = postgres_proxy.url_for(LIBPQ_URL)
    with psycopg.connect(url, connect_timeout=10, autocommit=True) as existing:
        assert existing.execute("SELECT 1").fetchone() == (1,)
        accepted = postgres_proxy.connections_accepted
        with postgres_proxy.down():
            with pytest.raises(psycopg.OperationalError, match=r"(?i)connection refused"):
                psycopg.connect(url, connect_timeout=10)
            with pytest.raises(psycopg.OperationalError):
                existing.execute("SELECT 1")
        assert existing.broken
        assert postgres_proxy.connections_accepted == accepted
    with psycopg.connect(url, connect_timeout=10, autocommit=True) as fresh:
        assert fresh.execute("SELECT 1").fetchone() == (1,)
    assert postgres_proxy.connections_accepted == accepted + 1


@pytest.mark.services
def test_sqlalchemy_pool_recovers_after_outage(postgres_proxy: TcpOutageProxy) -> None:
    engine = create_engine(postgres_proxy.url_for(POSTGRES_ADMIN_URL), pool_pre_ping=True)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
        postgres_proxy.outage(0.2)
        with engine.connect() as connection:  # the pooled connection was reset; pre-ping replaces it
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()


# -- PrivateRedis --------------------------------------------------------------------------------------------


def _redis(server: PrivateRedis) -> redis.Redis:
    return redis.Redis.from_url(server.url, socket_timeout=10, socket_connect_timeout=10)


@pytest.mark.parametrize("crash", [False, True], ids=["shutdown", "sigkill"])
def test_private_redis_keeps_data_across_restart(private_redis: PrivateRedis, crash: bool) -> None:
    assert private_redis.port != 6379
    port, pid = private_redis.port, private_redis.pid
    client = _redis(private_redis)
    try:
        client.set("maze:key", "value")
        client.rpush("celery", *[f"message-{i}" for i in range(100)])
        private_redis.restart(kill=crash)
        assert private_redis.port == port and private_redis.pid != pid
        assert client.get("maze:key") == b"value"  # redis-py reconnects on its own
        assert client.lrange("celery", 0, -1) == [f"message-{i}".encode() for i in range(100)]
    finally:
        client.close()


def test_private_redis_down_means_connection_refused(private_redis: PrivateRedis) -> None:
    client = _redis(private_redis)
    try:
        client.set("k", "1")
        private_redis.stop()
        assert not private_redis.running and not private_redis.ping()
        with pytest.raises(redis.ConnectionError):
            client.get("k")
        private_redis.start()
        assert client.get("k") == b"1"
    finally:
        client.close()


def test_private_redis_through_proxy(private_redis: PrivateRedis) -> None:
    with TcpOutageProxy.for_url(private_redis.url) as proxy:
        client = redis.Redis.from_url(proxy.url_for(private_redis.url), socket_timeout=10)
        try:
            client.set("k", "v")
            with proxy.down(), pytest.raises(redis.ConnectionError):
                client.get("k")
            assert client.get("k") == b"v"
        finally:
            client.close()


def test_private_redis_refuses_the_shared_port(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="6379"):
        PrivateRedis(tmp_path, port=6379)


# -- processes -----------------------------------------------------------------------------------------------


def test_kill_process_group_kills_all_forked_children(process_groups: Callable[..., ProcessGroup]) -> None:
    group = process_groups([sys.executable, "-c", FORKER, "3"])
    members = group.wait_for_members(1 + 3 + 3, timeout=60)
    assert group.pid in members and os.getpgid(group.pid) == group.pid
    killed = group.kill()
    assert members <= killed
    assert not any(is_alive(pid) for pid in members)
    assert group.returncode == -signal.SIGKILL
    assert group.members() == set()


def test_group_kill_reaches_orphans_of_a_dead_leader(process_groups: Callable[..., ProcessGroup]) -> None:
    group = process_groups([sys.executable, "-c", FORKER, "2"])
    members = group.wait_for_members(5, timeout=60)
    os.kill(group.pid, signal.SIGKILL)
    group.process.wait(30)
    orphans = members - {group.pid}
    assert all(is_alive(pid) for pid in orphans)  # re-parented, still in the group
    assert group.members() == orphans
    group.kill()
    assert wait_dead(orphans, timeout=30)


def test_sigkill_takes_down_a_celery_prefork_worker(
    private_redis: PrivateRedis, process_groups: Callable[..., ProcessGroup], tmp_path: Path
) -> None:
    (tmp_path / "faultapp.py").write_text(
        "import os\nfrom celery import Celery\napp = Celery('faultapp', broker=os.environ['BROKER_URL'])\n"
    )
    env = dict(os.environ, BROKER_URL=private_redis.url, PYTHONPATH=str(tmp_path))
    argv = [sys.executable, "-m", "celery", "-A", "faultapp", "worker", "--pool=prefork", "--concurrency=2"]
    argv += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"]
    worker = process_groups(argv, env=env, cwd=tmp_path)
    worker.wait_for_log("ready.", timeout=120)
    members = worker.wait_for_members(1 + 2, timeout=60)  # the Celery main process and two pool children
    assert all(os.getpgid(pid) == worker.pgid for pid in members)
    worker.kill()
    assert worker.returncode == -signal.SIGKILL
    assert not any(is_alive(pid) for pid in members)


@pytest.mark.e2e
def test_sigkill_takes_down_a_maze_worker_and_its_pool(
    private_redis: PrivateRedis, process_groups: Callable[..., ProcessGroup], tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAZE_")}
    env.update(
        HOME=str(tmp_path),
        MAZE_DATABASE_URL=f"sqlite:///{tmp_path / 'maze.db'}",
        MAZE_REDIS_URL=private_redis.url,
        MAZE_REDIS_PREFIX="maze-faults:",
        MAZE_LOG_LEVEL="INFO",
    )
    worker = process_groups(maze_worker_argv(concurrency=2), env=env, cwd=tmp_path)
    worker.wait_for_log("ready.", timeout=120)
    members = worker.wait_for_members(1 + 2, timeout=60)  # the Celery main process and two pool children
    assert all(os.getpgid(pid) == worker.pgid for pid in members)
    worker.kill()
    assert worker.returncode == -signal.SIGKILL
    assert not any(is_alive(pid) for pid in members)


def test_kill_process_tree_of_a_plain_child() -> None:
    process = subprocess.Popen([sys.executable, "-c", FORKER, "2"])
    try:
        assert _eventually(lambda: len(descendants(process.pid)) >= 4), "the forker did not fork"
        tree = {process.pid} | descendants(process.pid)
        victims = kill_process_tree(process.pid)
        assert tree <= victims
        assert wait_dead(tree, timeout=30)
    finally:
        if process.poll() is None:
            kill_process_tree(process.pid)
        process.wait(30)
    assert process.returncode == -signal.SIGKILL


def test_kill_process_tree_refuses_the_test_process() -> None:
    with pytest.raises(ValueError):
        kill_process_tree(os.getpid())
    with pytest.raises(ValueError):
        kill_process_tree(1)


def test_wait_dead_is_false_for_a_live_process() -> None:
    assert wait_dead(os.getpid(), timeout=0.1) is False
    assert wait_dead([], timeout=0.1) is True


def _eventually(condition: Callable[[], bool], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False
