"""The console's session: a signed cookie, its CSRF token and one-shot messages.

The cookie holds no secret: the signed-in key's id (the first hex digits of its SHA-256, as in
the logs, never the key), a random CSRF token and the messages to show on the next page. It is
signed with ``itsdangerous`` (HMAC, with the time it was issued), so a visitor can read it but
cannot forge or extend it; the key id is looked up in the key ring on every request, so a key
taken out of the configuration signs its sessions out.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from api.auth import ConfigurationError

log = logging.getLogger("api.console")

COOKIE_NAME = "console_session"
COOKIE_PATH = "/console"
MIN_SECRET_LENGTH = 32
MAX_MESSAGES = 3  # a cookie stays far below the browsers' 4 KB


@dataclass
class Message:
    """A one-shot notice: ``kind`` is success, refused or info."""

    kind: str
    title: str
    details: list[str] = field(default_factory=list)

    def dump(self) -> dict[str, Any]:
        return {"kind": self.kind, "title": self.title[:300], "details": self.details[:6]}

    @classmethod
    def load(cls, data: Any) -> Message | None:
        if not isinstance(data, dict):
            return None
        details = data.get("details")
        return cls(
            kind=str(data.get("kind", "info")),
            title=str(data.get("title", "")),
            details=[str(d)[:500] for d in details] if isinstance(details, list) else [],
        )


@dataclass
class Session:
    data: dict[str, Any]
    changed: bool = False

    @property
    def key_id(self) -> str | None:
        value = self.data.get("key")
        return value if isinstance(value, str) else None

    @property
    def csrf_token(self) -> str:
        """This session's CSRF token (made on first use: the sign-in form needs one too)."""
        token = self.data.get("csrf")
        if not isinstance(token, str) or len(token) < 16:
            token = secrets.token_urlsafe(32)
            self.data["csrf"] = token
            self.changed = True
        return token

    def csrf_matches(self, submitted: object) -> bool:
        token = self.data.get("csrf")
        if not isinstance(token, str) or not isinstance(submitted, str) or not submitted:
            return False
        return hmac.compare_digest(token.encode(), submitted.encode())

    def sign_in(self, key_id: str) -> None:
        # A fresh session (new CSRF token): nothing from before the sign-in carries over.
        self.data = {"key": key_id, "csrf": secrets.token_urlsafe(32)}
        self.changed = True

    def sign_out(self) -> None:
        self.data = {}
        self.changed = True

    def await_run(self, recommendation_id: str, revision: int, what: str) -> None:
        """Remember an accepted decision until the stored state shows it: until then the page
        says it is being recorded instead of offering the form again."""
        self.data["awaiting"] = {"id": recommendation_id, "revision": revision, "what": what}
        self.changed = True

    def awaited(self, recommendation_id: str) -> tuple[int, str] | None:
        awaiting = self.data.get("awaiting")
        if not isinstance(awaiting, dict) or awaiting.get("id") != recommendation_id:
            return None
        revision, what = awaiting.get("revision"), awaiting.get("what")
        return (revision, str(what)) if isinstance(revision, int) else None

    def stop_awaiting(self) -> None:
        if self.data.pop("awaiting", None) is not None:
            self.changed = True

    def say(self, message: Message) -> None:
        messages = [*self.data.get("messages", []), message.dump()][-MAX_MESSAGES:]
        self.data["messages"] = messages
        self.changed = True

    def take_messages(self) -> list[Message]:
        raw = self.data.pop("messages", None)
        if raw is None:
            return []
        self.changed = True
        loaded = [Message.load(item) for item in raw] if isinstance(raw, list) else []
        return [message for message in loaded if message is not None]


class SessionCookies:
    """Reads and writes the signed session cookie."""

    def __init__(self, secret: str | None, max_age_seconds: float, secure: bool) -> None:
        if secret is None:
            secret = secrets.token_urlsafe(48)
            log.warning(
                "CONSOLE_SESSION_SECRET is not set: console sessions are signed with a secret "
                "made up by this process, so they end when it restarts and are not valid on "
                "another API replica"
            )
        elif len(secret) < MIN_SECRET_LENGTH:
            raise ConfigurationError(
                f"CONSOLE_SESSION_SECRET must be at least {MIN_SECRET_LENGTH} characters"
            )
        self._serializer = URLSafeTimedSerializer(secret, salt="console-session")
        self.max_age = int(max_age_seconds)
        self.secure = secure

    def load(self, request: Request) -> Session:
        raw = request.cookies.get(COOKIE_NAME)
        if not raw:
            return Session({})
        try:
            data = self._serializer.loads(raw, max_age=self.max_age)
        except BadSignature:  # forged, from another secret, or expired
            return Session({}, changed=True)
        return Session(data if isinstance(data, dict) else {}, changed=not isinstance(data, dict))

    def save(self, session: Session, response: Response) -> None:
        if not session.changed:
            return
        if not session.data:
            response.delete_cookie(
                COOKIE_NAME, path=COOKIE_PATH, secure=self.secure, httponly=True, samesite="lax"
            )
            return
        response.set_cookie(
            COOKIE_NAME,
            self._serializer.dumps(session.data),
            max_age=self.max_age,
            path=COOKIE_PATH,
            secure=self.secure,
            httponly=True,
            # Lax: a link from an e-mail opens the console signed in, while a cross-site form
            # post arrives without the cookie (and without our CSRF token, which is checked too).
            samesite="lax",
        )
