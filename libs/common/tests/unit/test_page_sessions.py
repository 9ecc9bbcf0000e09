"""The page session store: sessions expire, a pending sign-in is redeemed once, a flood of
pending sign-ins cannot grow without bound."""

import time

import pytest

from civic_common.auth.principal import Principal
from civic_common.web import sessions
from civic_common.web.oidc import Tokens
from civic_common.web.sessions import PendingSignIn, SessionStore

pytestmark = pytest.mark.unit

TOKENS = Tokens("id", "access", None, time.time() + 60)
WHO = Principal(subject="s", roles=frozenset({"counter"}))


def pending(state: str) -> PendingSignIn:
    return PendingSignIn(state, "n", "v", "/", "http://h/auth/callback", time.monotonic())


def test_a_session_is_found_by_its_id_until_dropped():
    store = SessionStore(max_age_seconds=60)
    session_id = store.create(WHO, "An", TOKENS)
    assert len(session_id) >= 40
    found = store.get(session_id)
    assert found is not None and found.principal == WHO and found.csrf
    assert store.get("guess") is None
    store.drop(session_id)
    assert store.get(session_id) is None


def test_a_session_ends_after_its_maximum_age():
    store = SessionStore(max_age_seconds=0.05)
    session_id = store.create(WHO, "An", TOKENS)
    time.sleep(0.1)
    assert store.get(session_id) is None


def test_a_pending_sign_in_is_redeemed_once():
    store = SessionStore(max_age_seconds=60)
    store.start_sign_in(pending("abc"))
    assert store.finish_sign_in("abc") is not None
    assert store.finish_sign_in("abc") is None


def test_a_flood_of_pending_sign_ins_drops_the_oldest(monkeypatch):
    monkeypatch.setattr(sessions, "MAX_PENDING", 3)
    store = SessionStore(max_age_seconds=60)
    for state in "abcd":
        store.start_sign_in(pending(state))
    assert store.finish_sign_in("a") is None
    assert all(store.finish_sign_in(state) is not None for state in "bcd")


def test_a_redeemed_sign_in_remembers_its_page_and_then_its_session():
    store = SessionStore(max_age_seconds=60)
    store.start_sign_in(pending("abc"))
    assert store.finished_sign_in("abc") is None  # not redeemed yet
    store.finish_sign_in("abc")
    finished = store.finished_sign_in("abc")
    assert finished is not None and finished.next == "/" and finished.session_id is None
    store.complete_sign_in("abc", "sid")
    assert store.finished_sign_in("abc").session_id == "sid"
    assert store.finished_sign_in("other") is None
