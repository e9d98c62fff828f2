"""Run a test's HTTP server on a thread for the length of a `with` block.

Input: a bound `socketserver` server (port 0 picks a free one). Output: its base URL,
"http://HOST:PORT". On exit the server is shut down, its socket closed and its thread
joined, so no test leaves a listener or a thread behind.
"""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def serving(server: socketserver.BaseServer) -> Iterator[str]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
