"""A stand-in for the TLC's trip-data site: serves a folder over HTTP, counts requests and can
misbehave on demand (server errors, cut-off files)."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TRUNCATE = "truncate"


class TlcFileServer:
    """Static file server on 127.0.0.1 with a request log and scripted faults."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.requests: Counter[tuple[str, str]] = Counter()
        self._faults: dict[tuple[str, str], deque[int | str]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/trip-data"

    def start(self) -> TlcFileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def count(self, method: str, name: str) -> int:
        """How many `method` requests asked for the file `name`."""
        with self._lock:
            return self.requests[(method, name)]

    def fail_next(self, method: str, name: str, *faults: int | str) -> None:
        """Answer the next requests for `name` with these HTTP statuses or `TRUNCATE`."""
        with self._lock:
            self._faults[(method, name)].extend(faults)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._faults.clear()

    def _next_fault(self, method: str, name: str) -> int | str | None:
        with self._lock:
            self.requests[(method, name)] += 1
            queue = self._faults.get((method, name))
            return queue.popleft() if queue else None


def _handler_for(server: TlcFileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            self._answer(send_body=False)

        def do_GET(self) -> None:
            self._answer(send_body=True)

        def _answer(self, send_body: bool) -> None:
            name = self.path.rsplit("/", 1)[-1]
            fault = server._next_fault(self.command, name)
            path = server.folder / name
            if isinstance(fault, int):
                return self._send(fault, b"scripted failure\n", send_body)
            if not self.path.startswith("/trip-data/") or not path.is_file():
                # CloudFront's answer for a key that is not in the bucket.
                return self._send(403, b"<Error><Code>AccessDenied</Code></Error>", send_body)

            body = path.read_bytes()
            if fault == TRUNCATE:
                body = body[: len(body) // 2]
            self._send(200, body, send_body)

        def _send(self, status: int, body: bytes, send_body: bool) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler
