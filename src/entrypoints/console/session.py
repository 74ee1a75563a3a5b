"""The console's sign-in session: a cookie signed (HMAC-SHA256) with a key of the admin's own.

The key is derived from the admin's token (and STARPORT_CONSOLE_SECRET when set), so removing
or changing an admin's token ends that admin's sessions and no one else's, and changing the
secret ends everyone's. A session ends after IDLE without a request, and ABSOLUTE after the
sign-in whatever happens. Signing out forgets the cookie in the browser and, in this process,
refuses it until it would have expired anyway (several instances do not share that list:
there, rotate the secret to end a stolen session at once)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

COOKIE = "starport_console"
IDLE = timedelta(hours=8)
ABSOLUTE = timedelta(hours=24)
MAX_COOKIE = 1024  # a cookie longer than any we issue is not read


@dataclass(frozen=True)
class Session:
    """A signed-in admin; `nonce` names this sign-in (its CSRF token derives from it)."""

    admin: str
    nonce: str
    issued_at: int  # Unix seconds
    seen_at: int


@dataclass
class Sessions:
    """Issues and reads session cookies for the admins configured now."""

    admins: Mapping[str, str]  # name -> token
    secret: str = ""
    signed_out: dict[str, int] = field(default_factory=dict)  # nonce -> when it expires

    def issue(self, admin: str, now: datetime) -> tuple[Session, str]:
        at = int(now.timestamp())
        session = Session(admin, secrets.token_urlsafe(16), at, at)
        return session, self.cookie(session)

    def touched(self, session: Session, now: datetime) -> str:
        """The cookie again, its idle time counted from now."""
        return self.cookie(Session(session.admin, session.nonce, session.issued_at,
                                   int(now.timestamp())))

    def cookie(self, session: Session) -> str:
        payload = _b64(json.dumps({"a": session.admin, "n": session.nonce,
                                   "i": session.issued_at, "s": session.seen_at},
                                  separators=(",", ":")).encode())
        return f"{payload}.{_b64(self._mac(session.admin, payload.encode()))}"

    def read(self, cookie: str | None, now: datetime) -> Session | None:
        """The session this cookie carries, or None: unsigned, forged, of an admin whose token
        is gone or changed, idle too long, too old, or signed out."""
        if not cookie or len(cookie) > MAX_COOKIE or cookie.count(".") != 1:
            return None
        payload, mac = cookie.split(".")
        try:
            data = json.loads(_unb64(payload))
            admin, nonce = str(data["a"]), str(data["n"])
            issued, seen = int(data["i"]), int(data["s"])
            given = _unb64(mac)
        except (ValueError, KeyError, TypeError, binascii.Error):
            return None
        if admin not in self.admins:
            return None
        if not hmac.compare_digest(self._mac(admin, payload.encode()), given):
            return None
        at = now.timestamp()
        if at - seen > IDLE.total_seconds() or at - issued > ABSOLUTE.total_seconds():
            return None
        if nonce in self.signed_out:
            return None
        return Session(admin, nonce, issued, seen)

    def sign_out(self, session: Session, now: datetime) -> None:
        at = int(now.timestamp())
        self.signed_out = {n: until for n, until in self.signed_out.items() if until > at}
        self.signed_out[session.nonce] = session.issued_at + int(ABSOLUTE.total_seconds())

    def csrf_token(self, session: Session) -> str:
        return _b64(self._mac(session.admin, b"csrf\x00" + session.nonce.encode()))

    def csrf_ok(self, session: Session, given: str) -> bool:
        return hmac.compare_digest(self.csrf_token(session).encode(), given.encode())

    def _mac(self, admin: str, message: bytes) -> bytes:
        key = hmac.new(self.admins[admin].encode(),
                       b"starport-console-session\x00" + admin.encode() + b"\x00"
                       + self.secret.encode(), hashlib.sha256).digest()
        return hmac.new(key, message, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
