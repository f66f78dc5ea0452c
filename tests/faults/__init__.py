"""Real fault tools for crash and outage tests: a TCP proxy that goes down, a private Redis, process killing.

Nothing here is mocked. `TcpOutageProxy` forwards real TCP connections and refuses/resets them on command,
`PrivateRedis` runs a `redis-server` of the test's own (never the machine's shared one on 6379), and
`ProcessGroup` / `kill_process_tree` deliver a SIGKILL to a Celery main process and its prefork children at
once. Pytest fixtures that stop everything at teardown live in `tests.faults.fixtures`.
"""

from tests.faults.ports import free_port
from tests.faults.processes import (
    ProcessGroup,
    descendants,
    group_members,
    is_alive,
    kill_process_tree,
    maze_worker_argv,
    process_tree,
    wait_dead,
)
from tests.faults.proxy import TcpOutageProxy
from tests.faults.redis_server import PrivateRedis

__all__ = [
    "PrivateRedis",
    "ProcessGroup",
    "TcpOutageProxy",
    "descendants",
    "free_port",
    "group_members",
    "is_alive",
    "kill_process_tree",
    "maze_worker_argv",
    "process_tree",
    "wait_dead",
]
