"""Users and the unit of work on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select

from clearance.errors import BadInput, ConfigurationError, NotFound, PolicyRefusal
from clearance.runtime import Runtime
from clearance.services import users
from clearance.settings import Settings
from clearance.storage.db import check_connection, make_engine
from clearance.storage.models import User
from tests.foundation.conftest import ListSink


def test_migrations_create_every_table(rt: Runtime) -> None:
    tables = set(inspect(rt.engine).get_table_names())
    assert {
        "users",
        "items",
        "revisions",
        "parts",
        "signoff_requests",
        "decisions",
        "state_history",
    } <= tables


def test_sqlite_runs_in_wal_mode(rt: Runtime) -> None:
    if not rt.settings.is_sqlite:
        pytest.skip("WAL is a SQLite setting")
    with rt.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_add_user_records_event_and_one_time_password(rt: Runtime, sink: ListSink) -> None:
    view, password = users.add_user(
        rt,
        actor="operator:test",
        username="Lan.Nguyen",
        display_name="Nguyễn Thị Lan",
        roles="approver",
        signoff_roles=["unit_head"],
        unit="so-tttt",
    )
    assert view.username == "lan.nguyen"
    assert password is not None and len(password) >= 16
    assert view.must_change_password
    assert sink.events[-1].event_type == "user.registered"
    assert sink.events[-1].body["signoff_roles"] == ["unit_head"]
    assert users.authenticate(rt, "lan.nguyen", password).username == "lan.nguyen"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"username": "x", "roles": "author"}, "username 'x' is not valid"),
        ({"username": "ok", "roles": "king"}, "unknown role 'king'"),
        ({"username": "ok", "roles": ""}, "at least one role"),
        ({"username": "ok", "roles": "author", "password": "short"}, "too short"),
        (
            {"username": "ok", "roles": "author", "signoff_roles": ["unit_head"]},
            "only be given to a user with the approver role",
        ),
        (
            {"username": "ok", "roles": "approver", "signoff_roles": ["Bad Role"]},
            "not a valid name",
        ),
    ],
)
def test_bad_user_input(
    rt: Runtime, sink: ListSink, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(BadInput, match=message):
        users.add_user(rt, actor=None, **kwargs)  # type: ignore[arg-type]
    assert sink.events == []


def test_duplicate_user_refused(rt: Runtime) -> None:
    users.add_user(rt, actor=None, username="minh", roles="author")
    with pytest.raises(BadInput, match="already exists"):
        users.add_user(rt, actor=None, username="MINH", roles="author")


def test_set_roles_and_unknown_user(rt: Runtime, sink: ListSink) -> None:
    users.add_user(rt, actor=None, username="hoa", roles="author")
    view = users.set_roles(
        rt, actor="admin", username="hoa", roles=["approver"], signoff_roles=["spokesperson"]
    )
    assert view.roles == {"approver"} and view.signoff_roles == {"spokesperson"}
    assert sink.events[-1].event_type == "user.roles_changed"
    with pytest.raises(NotFound, match="there is no user 'nobody'"):
        users.set_roles(rt, actor="admin", username="nobody", roles=["author"])


def test_failed_append_rolls_back_everything(rt: Runtime, sink: ListSink) -> None:
    sink.fail_next = True
    with pytest.raises(RuntimeError, match="audit log refused"):
        users.add_user(rt, actor=None, username="ghost", roles="author")
    with rt.sessions() as session:
        assert session.scalar(select(User).where(User.username == "ghost")) is None


def test_repeated_failures_make_the_pair_wait_with_the_same_refusal(rt: Runtime) -> None:
    users.add_user(rt, actor=None, username="an", roles="author", password="correct horse 1")
    for _ in range(rt.settings.login_max_failures):
        with pytest.raises(users.LoginRefused, match="username or password is wrong"):
            users.authenticate(rt, "an", "wrong password!", address="192.0.2.1")
    with pytest.raises(users.LoginRefused, match="username or password is wrong"):
        users.authenticate(rt, "an", "correct horse 1", address="192.0.2.1")
    assert users.authenticate(rt, "an", "correct horse 1", address="192.0.2.2").username == "an"


def test_unreachable_database_is_one_clear_sentence(settings: Settings) -> None:
    engine = make_engine("postgresql+psycopg://nobody:pw@127.0.0.1:1/none")
    with pytest.raises(
        ConfigurationError, match=r"cannot be reached .*check CLEARANCE_DATABASE_URL"
    ):
        check_connection(engine)


def test_reset_password_gives_a_new_one_time_password(rt: Runtime, sink: ListSink) -> None:
    users.add_user(rt, actor=None, username="thu", roles="author", password="first password 1")
    new = users.reset_password(rt, actor="operator:test", username="thu")
    with pytest.raises(PolicyRefusal):
        users.authenticate(rt, "thu", "first password 1")
    assert users.authenticate(rt, "thu", new).must_change_password
    assert sink.events[-1].event_type == "user.password_reset"
    assert new not in str(sink.events[-1].body)


def test_readers_are_not_blocked_by_a_writer(rt: Runtime) -> None:
    users.add_user(rt, actor=None, username="doc", roles="author")
    with rt.uow() as writer:  # holds SQLite's write lock until the block ends
        writer.session.add(
            User(username="pending", display_name="p", roles="author", password_hash="x")
        )
        writer.session.flush()
        names = [u.username for u in users.list_users(rt)]
        assert "doc" in names and "pending" not in names
