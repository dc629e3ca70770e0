"""Flask sessions kept in the core's ``web_sessions`` table (``clearance.accounts.sessions``):
the cookie carries only a random id. ``renew()`` gives the session a new id and ends the old
row (login, logout, password change), so a copied cookie stops working."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Request, Response, session
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from clearance.accounts import sessions as store
from clearance.runtime import Runtime
from webapp.context import RUNTIME_KEY, read_connection


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """The session data of one request, with the id it was loaded under."""

    def __init__(
        self, data: dict[str, Any], sid: str | None, stored: store.StoredSession | None
    ) -> None:
        def changed(_self: CallbackDict[str, Any]) -> None:
            self.modified = True

        super().__init__(data, changed)
        self.sid = sid
        self.stored = stored
        self.renewed = False
        self.modified = False


def session_account() -> tuple[Any, ...] | None:
    """The signed-in account's columns as read with this request's session, or None."""
    if isinstance(session, ServerSession) and session.stored is not None:
        return session.stored.account
    return None


def renew() -> None:
    """Give this session a new id when the response is sent; the old row is deleted."""
    if isinstance(session, ServerSession):
        session.renewed = True
        session.modified = True


def _user_id(data: dict[str, Any]) -> int | None:
    raw = str(data.get("_user_id") or "").partition(":")[0]
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


class ServerSessionInterface(SessionInterface):
    def _runtime(self, app: Flask) -> Runtime:
        rt = app.extensions[RUNTIME_KEY]
        assert isinstance(rt, Runtime)
        return rt

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        sid = request.cookies.get(self.get_cookie_name(app))
        if not sid:
            return ServerSession({}, None, None)
        rt = self._runtime(app)
        now = datetime.now(UTC)
        # the common case reads on the request's read connection (no write transaction,
        # which on SQLite takes the database's write lock); a session to touch (once a
        # minute) or to delete (timed out) is read again and written in its own transaction
        stored = store.peek(read_connection(), sid, now=now, settings=rt.settings)
        if stored is None or store.due_for_touch(stored, now=now):
            with rt.sessions() as db:
                stored = store.load(db, sid, now=now, settings=rt.settings)
                if stored is not None:
                    store.touch(db, sid, now=now, existing=stored)
                db.commit()
        if stored is None:
            return ServerSession({}, None, None)
        try:
            data = json.loads(stored.data)
        except ValueError:
            data = {}
        return ServerSession(data if isinstance(data, dict) else {}, sid, stored)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, ServerSession)
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        if not session.modified:
            return
        data = json.dumps(dict(session), separators=(",", ":"), default=str)
        sid, existing = session.sid, session.stored
        if not session.renewed and existing is not None and session and data == existing.data:
            return  # written to but unchanged (a view set a key to its value): nothing to save
        rt = self._runtime(app)
        now = datetime.now(UTC)
        with rt.sessions() as db:
            if sid is not None and (session.renewed or not session):
                store.revoke(db, sid)
                sid, existing = None, None
            if session:
                if sid is None:
                    sid = store.new_id()
                    store.sweep(db, now=now, settings=rt.settings)
                store.save(
                    db,
                    sid,
                    data=data,
                    user_id=_user_id(dict(session)),
                    now=now,
                    existing=existing,
                )
            db.commit()
        if sid is None:
            response.delete_cookie(name, domain=domain, path=path)
            return
        response.set_cookie(
            name,
            sid,
            httponly=self.get_cookie_httponly(app),
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
            domain=domain,
            path=path,
        )
        response.vary.add("Cookie")
