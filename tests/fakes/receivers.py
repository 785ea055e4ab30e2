"""Where notifications land in tests: a Slack-compatible incoming webhook (Mattermost's
``POST /hooks/{token}`` with ``{"text": ...}``, what apprise's ``mmost://`` sends) and an SMTP
server (aiosmtpd). Both run in threads of the test process, on free ports, and keep what they
received; the webhook can fail its next requests with 500, as a flaky chat service would."""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


@dataclass
class WebhookReceiver:
    token: str = "t0ken-for-the-tests"
    texts: list[str] = field(default_factory=list)
    refused: int = 0  # requests answered 500
    _fail_next: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver._lock:
                    failing = receiver._fail_next > 0
                    if failing:
                        receiver._fail_next -= 1
                        receiver.refused += 1
                    elif self.path == f"/hooks/{receiver.token}":
                        receiver.texts.append(json.loads(body).get("text", ""))
                self.send_response(500 if failing else 200)
                self.end_headers()
                self.wfile.write(b"down" if failing else b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()

    @property
    def apprise_url(self) -> str:
        assert self._server is not None
        return f"mmost://127.0.0.1:{self._server.server_address[1]}/{self.token}"

    def fail_next(self, count: int) -> None:
        with self._lock:
            self._fail_next = count

    def received(self, containing: str) -> list[str]:
        with self._lock:
            return [text for text in self.texts if containing in text]


@dataclass
class MailReceiver:
    messages: list[tuple[str, str]] = field(default_factory=list)  # (subject, body)
    _controller: Controller | None = None

    def start(self) -> MailReceiver:
        receiver = self

        class Handler:
            async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
                message = message_from_bytes(envelope.content)
                parts = [message] if not message.is_multipart() else message.get_payload()
                text = "".join(
                    part.get_payload(decode=True).decode(errors="replace")
                    for part in parts
                    if part.get_content_type() == "text/plain"
                )
                receiver.messages.append((str(message["Subject"]), text))
                return "250 OK"

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self._controller = Controller(Handler(), hostname="127.0.0.1", port=port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()

    @property
    def apprise_url(self) -> str:
        assert self._controller is not None
        port = self._controller.port
        return f"mailto://127.0.0.1:{port}?to=ops@example.com&from=agent@example.com&mode=insecure"

    def received(self, containing: str) -> list[tuple[str, str]]:
        return [m for m in list(self.messages) if containing in m[0] or containing in m[1]]
