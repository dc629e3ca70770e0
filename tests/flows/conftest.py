"""Pipeline fixtures: a migrated database, a real signed audit log, the default policy recorded,
and the demo cast (approvers with enrolled keys)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from clearance.runtime import Runtime
from clearance.services.items import Submission, submit
from clearance.settings import Settings, load_settings
from flows.people import open_home

PASSWORD = "correct horse battery staple"

CLEAN_BODY = (
    "Ngày 20/11/2026, Ủy ban nhân dân tỉnh đã tiếp đoàn doanh nghiệp Nhật Bản đến tìm hiểu "
    "cơ hội đầu tư vào khu công nghiệp phía Bắc tỉnh.\n\n"
    "Hai bên đã trao đổi về hạ tầng giao thông, nguồn nhân lực và các ưu đãi đầu tư. "
    "Mùa thu hoạch mật ong năm nay cũng được giới thiệu như một sản phẩm đặc trưng."
)
SECRET_BODY = "MẬT\n\nKế hoạch bố trí lực lượng bảo vệ mục tiêu trọng điểm trong dịp lễ."


def outside_env() -> dict[str, str]:
    """This process's environment without its Clearance and Prefect settings: the base of a
    child process's environment, which then names its own home, database and so on."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("CLEARANCE_", "PREFECT_"))}


def make_settings(home: Path, extra: dict[str, str] | None = None) -> Settings:
    env = {
        "CLEARANCE_HOME": str(home),
        "CLEARANCE_DATABASE_URL": f"sqlite:///{home / 'clearance.db'}",
        "CLEARANCE_ENV": "test",
        "CLEARANCE_LOG_ORIGIN": "test.clearance.local/log",
        "CLEARANCE_SOCIAL_WEBHOOK_KEY": "test-webhook-key-0123456789abcdef",
        **(extra or {}),
    }
    return load_settings(env)


def open_world(settings: Settings) -> Runtime:
    return open_home(settings, PASSWORD, actor="test")


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One prepared home (users and keys take a few seconds of scrypt/argon2), copied per test."""
    home = tmp_path_factory.mktemp("world") / "home"
    rt = open_world(make_settings(home))
    rt.close()
    return home


@pytest.fixture
def rt(world_template: Path, tmp_path: Path) -> Iterator[Runtime]:
    import shutil

    home = tmp_path / "home"
    shutil.copytree(world_template, home)
    runtime = Runtime.open(make_settings(home))
    yield runtime
    runtime.close()


def submit_text(
    rt: Runtime,
    body: str = CLEAN_BODY,
    *,
    title: str = "UBND tỉnh tiếp đoàn doanh nghiệp Nhật Bản",
    channels: tuple[str, ...] = ("website",),
    level: str = "cong_khai",
    author: str = "lan.nguyen",
) -> str:
    return submit(
        rt,
        author=author,
        submission=Submission(
            title=title, channels=list(channels), declared_level=level, body_text=body
        ),
    )


def approve_fully(rt: Runtime, item_id: str) -> None:
    """The clean public chain: the unit head, then the spokesperson."""
    from clearance.services.signoff import decide

    decide(rt, item_id=item_id, approver="hung.le", password=PASSWORD, decision="approve")
    out = decide(rt, item_id=item_id, approver="quan.vo", password=PASSWORD, decision="approve")
    assert out.publish


def log_types(rt: Runtime, item_id: str) -> list[str]:
    from clearance.auditlog.entry import parse_leaf
    from clearance.auditlog.store import leaf_at, seqs_for_item

    with rt.sessions() as session:
        return [parse_leaf(leaf_at(session, s)).type for s in seqs_for_item(session, item_id)]


def grant_by_two_admins(rt: Runtime) -> None:
    """Two administrators (added here) grant ha.dang the approver role with provincial_leader
    in van-phong-ubnd: proposed by one, confirmed by the other, both logged."""
    from clearance.admin.service import confirm, propose_roles
    from clearance.services.users import add_user

    for name in ("quan.tri", "quan.tri.2"):
        add_user(rt, actor="test", username=name, roles="admin", password=PASSWORD)
    change = propose_roles(rt, admin="quan.tri", username="ha.dang", roles=["approver"],
                           signoff_roles=["provincial_leader"], unit="van-phong-ubnd")  # fmt: skip
    confirm(rt, admin="quan.tri.2", change_id=change.id)
