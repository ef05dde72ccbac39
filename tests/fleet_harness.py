"""Fleet processes for tests: ``mockserver serve --state redis://...`` as real processes on
127.0.0.1, each on a free port, always stopped.

``FleetProcess(url, prefix, *flags)`` is a context manager: started on entry (it waits for
the ready line that names its port, then for ``/health``), stopped on exit (SIGTERM, then
SIGKILL), also when the test fails. ``stop()``/``start()`` restart it (on a new port: ask
``base_url`` again). ``Fleet`` starts several on one Redis and key prefix.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from types import TracebackType

import httpx

START_TIMEOUT_S = 60.0  # hang guards, not budgets
STOP_TIMEOUT_S = 15.0
_READY = re.compile(r"on http://127\.0\.0\.1:(\d+)")


class FleetProcessError(RuntimeError):
    """The process did not start as asked; the message carries what it printed."""


class FleetProcess:
    def __init__(self, url: str, prefix: str, *flags: str) -> None:
        self.url = url
        self.prefix = prefix
        self.flags = flags
        self.process: subprocess.Popen[str] | None = None
        self.port = 0
        self.output: list[str] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FleetProcess:
        command = [
            sys.executable, "-m", "mockserver", "serve", "--host", "127.0.0.1", "--port", "0",
            "--state", self.url, "--state-prefix", self.prefix, "--log-level", "warning",
            *self.flags,
        ]  # fmt: skip
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("MOCKSERVER_STATE", None)
        self.output = []
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        found: list[int] = []
        ready = threading.Event()

        def read() -> None:
            assert self.process is not None and self.process.stdout is not None
            for line in self.process.stdout:
                self.output.append(line)
                match = _READY.search(line)
                if match and not found:
                    found.append(int(match.group(1)))
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(START_TIMEOUT_S) or not found:
            self.stop()
            raise FleetProcessError("no ready line:\n" + "".join(self.output))
        self.port = found[0]
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base_url + "/health", timeout=5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise FleetProcessError("/health never answered 200:\n" + "".join(self.output))

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        process, self.process = self.process, None
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(sig)
            try:
                return process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
        return process.wait(STOP_TIMEOUT_S)

    def kill(self) -> None:
        """Gone without a word (SIGKILL): the fleet finds out when its lease ends."""
        self.stop(signal.SIGKILL)

    def __enter__(self) -> FleetProcess:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


class Fleet:
    """``count`` fleet processes on ``url`` under one ``prefix``, started in parallel."""

    def __init__(self, url: str, prefix: str, count: int, *flags: str) -> None:
        self.processes = [FleetProcess(url, prefix, *flags) for _ in range(count)]
        self._stack = ExitStack()

    def __enter__(self) -> Fleet:
        errors: list[BaseException] = []

        def start(process: FleetProcess) -> None:
            try:
                process.start()
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=start, args=(p,)) for p in self.processes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for process in self.processes:
            self._stack.callback(process.stop)
        if errors:
            self._stack.close()
            raise errors[0]
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def __iter__(self) -> Iterator[FleetProcess]:
        return iter(self.processes)

    def __getitem__(self, index: int) -> FleetProcess:
        return self.processes[index]

    @property
    def urls(self) -> list[str]:
        return [p.base_url for p in self.processes]
