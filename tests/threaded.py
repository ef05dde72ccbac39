"""uvicorn in a thread, on 127.0.0.1 and a free port: for tests that hold the application
(and may patch it) in process while real clients talk to it over a socket."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

import uvicorn


class UvicornThread:
    """Started on construction (the port is bound before the config is made), ``stop``ped
    by the test; ``config_for(port)`` makes the uvicorn configuration."""

    def __init__(self, config_for: Callable[[int], uvicorn.Config]) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.port: int = self.socket.getsockname()[1]
        self.config = config_for(self.port)
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 5
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.005)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.socket.close()
        assert not self.thread.is_alive()
