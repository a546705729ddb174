"""A uvicorn server on a daemon thread of this process: the sandbox and the checkout in tests.

The socket is bound before the thread starts, so port 0 picks a free port and there is no
race between choosing a port and listening on it.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import uvicorn

_START_TIMEOUT = 10.0


@dataclass
class ThreadedServer:
    """A server started by ``start``; ``root_url`` is ``http://host:port`` without a slash."""

    root_url: str
    _server: uvicorn.Server
    _thread: threading.Thread

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the server to exit and wait for its thread."""
        self._server.should_exit = True
        self._thread.join(timeout)


def start(config: uvicorn.Config, name: str) -> ThreadedServer:
    """Serve ``config`` on a daemon thread named ``name``; raises if it does not start."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((config.host, config.port))
    host, port = sock.getsockname()[:2]
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"{name}-{port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + _START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(_START_TIMEOUT)
            sock.close()
            raise RuntimeError(f"the {name} did not start")
        time.sleep(0.01)
    return ThreadedServer(f"http://{host}:{port}", server, thread)
