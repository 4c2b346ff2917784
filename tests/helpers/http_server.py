"""A real HTTP server on 127.0.0.1 for tests, answering from a script and recording requests.

    with ScriptedServer() as server:
        server.reply(Reply(503), Reply(503, headers={"Retry-After": "2"}), Reply(200, {"ok": 1}))
        ...call server.url...
        assert [r.path for r in server.requests] == [...]

Replies are used in order, one per request; a request beyond the script gets a 599 so that the
test fails loudly instead of hanging. A reply may also be a function of the request.
"""

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

UNSCRIPTED_STATUS = 599


@dataclass(frozen=True)
class Reply:
    """One scripted response; a dict or list body is sent as JSON."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        if isinstance(self.body, dict | list):
            headers.setdefault("Content-Type", "application/json")
            return json.dumps(self.body).encode(), headers
        if isinstance(self.body, str):
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
            return self.body.encode(), headers
        return self.body or b"", headers


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the server saw it; `path` is the raw (still percent-encoded) target."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def route(self) -> str:
        return urlsplit(self.path).path

    @property
    def query(self) -> dict[str, str]:
        return {key: values[-1] for key, values in parse_qs(urlsplit(self.path).query).items()}

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body)


ReplySource = Reply | Callable[[RecordedRequest], Reply]


class ScriptedServer:
    """ThreadingHTTPServer on an ephemeral port of 127.0.0.1, served from a background thread."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._script: list[ReplySource] = []
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def reply(self, *replies: ReplySource) -> None:
        """Append replies to the script, to be used one per request in order."""
        with self._lock:
            self._script.extend(replies)

    @property
    def pending(self) -> int:
        """Scripted replies not used yet."""
        with self._lock:
            return len(self._script)

    def __enter__(self) -> "ScriptedServer":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopping.set()  # releases handlers still waiting out a delay
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def answer(self, request: RecordedRequest) -> Reply:
        """Record `request` and take the next reply from the script."""
        with self._lock:
            self.requests.append(request)
            source = self._script.pop(0) if self._script else None
        if source is None:
            return Reply(
                UNSCRIPTED_STATUS, {"detail": f"unscripted {request.method} {request.path}"}
            )
        return source(request) if callable(source) else source


def _handler_for(server: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = RecordedRequest(
                method=self.command,
                path=self.path,
                headers={name.lower(): value for name, value in self.headers.items()},
                body=self.rfile.read(length),
            )
            reply = server.answer(request)
            if reply.delay_seconds and server.stopping.wait(reply.delay_seconds):
                return
            body, headers = reply.encoded()
            try:
                self.send_response(reply.status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (its timeout) before the delayed reply was ready

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet; the requests are recorded instead."""

    return Handler
