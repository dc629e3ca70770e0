"""A realistic cast for the demo and the end-to-end tests: an author's unit, its head, the
provincial leadership, a spokesperson and a security officer, each approver with a signing key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from clearance.runtime import Runtime
from clearance.services.users import add_user
from clearance.settings import Settings
from clearance.signing.approver import active_vkey, enroll_approver_key
from clearance.storage.models import User


@dataclass(frozen=True, slots=True)
class Person:
    username: str
    display_name: str
    roles: tuple[str, ...]
    unit: str
    signoff_roles: tuple[str, ...] = ()
    email: str | None = None


CAST: tuple[Person, ...] = (
    Person("lan.nguyen", "Nguyễn Thị Lan", ("author",), "so-ngoai-vu"),
    Person("minh.tran", "Trần Văn Minh", ("author",), "so-ngoai-vu"),
    Person("hung.le", "Lê Quang Hưng", ("approver",), "so-ngoai-vu", ("unit_head",)),
    Person("thao.pham", "Phạm Thu Thảo", ("approver",), "van-phong-ubnd", ("provincial_leader",)),
    Person("quan.vo", "Võ Minh Quân", ("approver",), "van-phong-ubnd", ("spokesperson",)),
    Person("ha.dang", "Đặng Thu Hà", ("approver",), "van-phong-ubnd", ("security_officer",)),
    Person("son.bui", "Bùi Thanh Sơn", ("approver",), "van-phong-ubnd", ("agency_head",)),
    Person("an.do", "Đỗ Bình An", ("auditor",), "thanh-tra"),
)


def ensure_person(rt: Runtime, person: Person, password: str, *, actor: str) -> None:
    """Create the user (if missing) and, for approvers, enrol a signing key under ``password``."""
    with rt.sessions() as session:
        exists = session.scalar(select(User.id).where(User.username == person.username))
    if exists is None:
        add_user(
            rt,
            actor=actor,
            username=person.username,
            display_name=person.display_name,
            roles=list(person.roles),
            unit=person.unit,
            email=person.email or f"{person.username}@example.gov.vn",
            signoff_roles=list(person.signoff_roles) or None,
            password=password,
        )
    if "approver" not in person.roles:
        return
    with rt.uow() as uow:
        if active_vkey(uow.session, person.username) is not None:
            return
        now = datetime.now(UTC)
        _, event = enroll_approver_key(
            uow.session, username=person.username, password=password, now=now, actor=actor
        )
        uow.record(event)
        uow.commit(now=now)


def ensure_cast(rt: Runtime, password: str, *, actor: str = "demo") -> None:
    for person in CAST:
        ensure_person(rt, person, password, actor=actor)


def open_home(settings: Settings, password: str, *, actor: str = "setup") -> Runtime:
    """Migrate, create the log key, record the policy and the cast: a ready home (benchmarks,
    tests). ``clearance init`` does the same for a real installation, minus the cast."""
    from clearance.auditlog.setup import init_log
    from clearance.policy.store import record_policy_if_new
    from clearance.storage.db import make_engine
    from clearance.storage.migrate import upgrade

    settings.home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()
    init_log(settings)
    rt = Runtime.open(settings)
    record_policy_if_new(rt, actor=actor)
    ensure_cast(rt, password, actor=actor)
    return rt
