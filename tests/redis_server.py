"""A real ``redis-server`` for a test: its own process on 127.0.0.1, on a free port, in a
temporary folder of its own; never a shared instance, never Redis's default port.

``RedisServer`` is a context manager (started on entry, stopped and its folder removed on exit,
also when the test fails); ``stop`` and ``start`` take it down and bring it back on the same
port and folder, for the tests of Redis going away; with ``persistent=True`` it writes every
change to its append-only file before answering (``appendfsync always``), so a restarted (or
killed) Redis comes back with every acknowledged key. Without, it keeps nothing on disk.

The ``redis_server`` fixture (tests/conftest.py) is one started ``RedisServer``; where
``redis-server`` is missing it skips, and fails where ``CI`` is set (scripts/test installs
Debian's package).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, NoReturn

import pytest
from ports import free_port

if TYPE_CHECKING:
    import redis

EXECUTABLE = "redis-server"
START_TIMEOUT_S = 20.0  # hang guards, not budgets
STOP_TIMEOUT_S = 10.0
_UNIX_PATH_MAX = 100  # sun_path holds 108 bytes; the socket's path must fit


class RedisServerError(RuntimeError):
    """redis-server did not start (or stop) as asked; the message carries its log."""


def redis_server_path() -> str:
    """Where ``redis-server`` is; skips the test where it is missing, and fails it where
    ``CI`` is set (as tests/browser.py does for Chromium)."""
    found = shutil.which(EXECUTABLE)
    if found is None:
        _missing(f"{EXECUTABLE} is not on the PATH")
    return found


def _missing(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} in CI: scripts/test installs Debian's redis-server")
    pytest.skip(f"{reason} (apt-get install redis-server); CI runs this test")


class RedisServer:
    """One ``redis-server`` process (see the module's docstring).

    ``folder``: its working folder (``--dir``: the append-only file, its log); a new temporary
    one by default, removed on exit (a given one is left). ``port``: a free one by default; a
    free port taken by someone else before Redis binds it is replaced once more, at the first
    start only (a restart keeps its port: clients reconnect to it)."""

    def __init__(
        self,
        folder: Path | None = None,
        *,
        persistent: bool = False,
        port: int | None = None,
        executable: str | None = None,
    ) -> None:
        self.executable = executable or redis_server_path()
        self._own_folder = folder is None
        self.folder = Path(tempfile.mkdtemp(prefix="redis-")) if folder is None else folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.persistent = persistent
        self._chosen_port = port is None
        self.port = free_port() if port is None else port
        self.log = self.folder / "redis.log"
        socket_path = self.folder / "redis.sock"
        self.unix_socket = socket_path if len(str(socket_path)) < _UNIX_PATH_MAX else None
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    # --- where it answers ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``: what ``--state`` takes."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def unix_url(self) -> str:
        """``unix:///FOLDER/redis.sock?db=0`` (where the folder's path is short enough)."""
        if self.unix_socket is None:
            raise RedisServerError(f"{self.folder} is too long a path for a Unix socket")
        return f"unix://{self.unix_socket}?db=0"

    def client(self, db: int = 0) -> redis.Redis:
        """A synchronous redis-py client of this server (bytes in, bytes out)."""
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, db=db, socket_timeout=10)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    # --- start and stop ------------------------------------------------------------------------

    def argv(self) -> list[str]:
        argv = [
            self.executable,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.folder),
            "--save", "",
            "--daemonize", "no",
            "--logfile", "",  # its standard output: self.log
        ]  # fmt: skip
        if self.unix_socket is not None:
            argv += ["--unixsocket", str(self.unix_socket), "--unixsocketperm", "700"]
        if self.persistent:
            argv += ["--appendonly", "yes", "--appendfsync", "always"]
        else:
            argv += ["--appendonly", "no"]
        return argv

    def start(self) -> RedisServer:
        """Start it (again: the same port, folder and data on disk) and wait until it answers
        PING; a ``RedisServerError`` with its log if it does not."""
        if self.running:
            raise RedisServerError(f"redis-server on port {self.port} is running already")
        try:
            self._start()
        except RedisServerError:
            if not (self._chosen_port and self.starts == 0 and self._port_was_taken()):
                raise
            self.port = free_port()  # another process took the free port first: once more
            self._start()
        self.starts += 1
        return self

    def _start(self) -> None:
        with self.log.open("ab") as log:
            log.write(f"--- mockserver tests: {' '.join(self.argv())}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                self.argv(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=self.folder,
            )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RedisServerError(
                    f"redis-server on port {self.port} exited with {self.process.returncode} "
                    f"before answering PING; its log ({self.log}):\n{self._log_tail()}"
                )
            if self.ping():
                return
            time.sleep(0.02)
        self._end(signal.SIGKILL)
        raise RedisServerError(
            f"redis-server on port {self.port} did not answer PING within {START_TIMEOUT_S:g} s; "
            f"its log ({self.log}):\n{self._log_tail()}"
        )

    def _port_was_taken(self) -> bool:
        return "Address already in use" in self._log_tail()

    def ping(self) -> bool:
        """Whether it answers PING with PONG now (LOADING, while it reads its file, is no)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1.0) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """Stop it as SHUTDOWN does (SIGTERM: nothing saved to an RDB file; the append-only
        file, when persistent, holds every change already) and wait; SIGKILL past
        ``STOP_TIMEOUT_S``. Nothing happens if it is not running."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        """Kill it (SIGKILL), as a crash or a pulled plug would, and reap it."""
        self._end(signal.SIGKILL)

    def _end(self, signum: int) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signum)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def close(self) -> None:
        """Stop it and remove its folder if it made it."""
        try:
            self.stop()
        finally:
            if self._own_folder:
                shutil.rmtree(self.folder, ignore_errors=True)

    def _log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def __enter__(self) -> RedisServer:
        if not self.running:
            try:
                self.start()
            except BaseException:
                self.close()
                raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<RedisServer {self.url} {state} persistent={self.persistent}>"
