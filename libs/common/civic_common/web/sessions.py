"""Server-side page sessions: the browser holds only a random session id (HttpOnly cookie); the
principal and the provider's tokens stay in the api process.

In memory, per api process: a restart forgets the sessions, and the next page view signs the
person in again through the provider's single sign-on, without a password prompt while the
provider's session lives. Several api processes of one service behind one address would need a
shared store (docs/architecture.md)."""

import secrets
import time
from dataclasses import dataclass, field

from civic_common.auth.principal import Principal
from civic_common.web.oidc import Tokens

# A sign-in started but not finished (the browser is at the provider) expires after this.
PENDING_SECONDS = 600.0
FINISHED_SECONDS = 60.0
# At most this many sign-ins pending at once: a flood of /aanmelden drops the oldest.
MAX_PENDING = 10_000


@dataclass
class PageSession:
    principal: Principal
    display_name: str
    tokens: Tokens
    created_at: float
    checked_at: float
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))


@dataclass(frozen=True)
class PendingSignIn:
    state: str
    nonce: str
    verifier: str
    next: str
    redirect_uri: str
    created_at: float


@dataclass
class FinishedSignIn:
    next: str
    session_id: str | None  # None while the code is being redeemed, or when that failed
    at: float


class SessionStore:
    def __init__(self, max_age_seconds: float) -> None:
        self._max_age = max_age_seconds
        self._sessions: dict[str, PageSession] = {}
        self._pending: dict[str, PendingSignIn] = {}
        # state -> the sign-in it finished: a callback arriving twice (a reload, or Keycloak's
        # login page refreshing itself, racing the redirect) joins the first one's session.
        self._finished: dict[str, FinishedSignIn] = {}

    def create(self, principal: Principal, display_name: str, tokens: Tokens) -> str:
        self._prune()
        session_id = secrets.token_urlsafe(32)
        now = time.monotonic()
        self._sessions[session_id] = PageSession(principal, display_name, tokens, now, now)
        return session_id

    def get(self, session_id: str | None) -> PageSession | None:
        if not session_id:
            return None
        found = self._sessions.get(session_id)
        if found is not None and time.monotonic() - found.created_at > self._max_age:
            self.drop(session_id)
            return None
        return found

    def drop(self, session_id: str | None) -> PageSession | None:
        return self._sessions.pop(session_id, None) if session_id else None

    def start_sign_in(self, pending: PendingSignIn) -> None:
        self._prune()
        while len(self._pending) >= MAX_PENDING:
            del self._pending[next(iter(self._pending))]
        self._pending[pending.state] = pending

    def finish_sign_in(self, state: str) -> PendingSignIn | None:
        """The pending sign-in of ``state``, once: a replayed callback finds nothing."""
        found = self._pending.pop(state, None)
        if found is None or time.monotonic() - found.created_at > PENDING_SECONDS:
            return None
        self._finished[state] = FinishedSignIn(found.next, None, time.monotonic())
        return found

    def complete_sign_in(self, state: str, session_id: str) -> None:
        """The session the sign-in of ``state`` started."""
        if (found := self._finished.get(state)) is not None:
            found.session_id = session_id

    def finished_sign_in(self, state: str) -> "FinishedSignIn | None":
        """The sign-in of ``state``, if it was redeemed within the last minute."""
        found = self._finished.get(state)
        if found is None or time.monotonic() - found.at > FINISHED_SECONDS:
            return None
        return found

    def _prune(self) -> None:
        now = time.monotonic()
        for key in [k for k, s in self._sessions.items() if now - s.created_at > self._max_age]:
            del self._sessions[key]
        for key in [k for k, p in self._pending.items() if now - p.created_at > PENDING_SECONDS]:
            del self._pending[key]
        for key in [k for k, f in self._finished.items() if now - f.at > FINISHED_SECONDS]:
            del self._finished[key]

    def __len__(self) -> int:
        return len(self._sessions)
