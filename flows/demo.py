"""The demo scenario: a provincial foreign-affairs office's week, end to end.

A dozen items in Vietnamese and English go through the real pipeline: most are approved and
published (website, press drop, foreign partners drop), three are blocked by screening, one is
held for the security officer (a keyword), one is rejected, one is sent back for changes and resubmitted,
and one is left waiting in the leaders' queue. Then the audit log is exported and verified.
"""

from __future__ import annotations

import io
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from clearance.auditlog.export import export_log
from clearance.auditlog.verify import Report, verify_export
from clearance.runtime import Runtime
from clearance.services.items import Submission, load_item, new_revision, submit
from clearance.services.signoff import decide
from clearance.services.uploads import Upload
from flows.people import ensure_cast

Trigger = Callable[[Runtime, str], object]


@dataclass(frozen=True, slots=True)
class Story:
    key: str
    title: str
    body: str
    channels: tuple[str, ...] = ("website",)
    level: str = "cong_khai"
    author: str = "lan.nguyen"
    #: decisions in order (username, decision, comment); AUTO: approve through the chain
    path: tuple[tuple[str, str, str | None], ...] = ()
    image: bool = False


#: approve stage after stage, each time by the first approver the policy says may sign
AUTO: tuple[tuple[str, str, str | None], ...] = (("*", "approve", None),)
LEADERS = AUTO
STORIES: tuple[Story, ...] = (
    Story(
        "investment",
        "UBND tỉnh tiếp đoàn doanh nghiệp Nhật Bản tìm hiểu cơ hội đầu tư",
        "Ngày 18/11/2026, Chủ tịch UBND tỉnh đã tiếp đoàn 12 doanh nghiệp Nhật Bản.\n\n"
        "Hai bên trao đổi về hạ tầng khu công nghiệp, nguồn nhân lực và thủ tục đầu tư. "
        "Đoàn cũng thăm vùng nguyên liệu mật ong và cà phê đặc sản của tỉnh.",
        path=LEADERS,
        image=True,
    ),
    Story(
        "festival",
        "Provincial culture week welcomes visitors from Laos and Cambodia",
        "The provincial culture week opens on 1 December 2026 with performances, food stalls "
        "and a photo exhibition on the friendship between the three peoples.",
        channels=("website", "press"),
        author="minh.tran",
        path=LEADERS,
    ),
    Story(
        "law-article",
        "Phổ biến Luật Bảo vệ bí mật nhà nước năm 2025 cho cán bộ, công chức",
        "Sở Ngoại vụ tổ chức hội nghị phổ biến các quy định mới của Luật Bảo vệ bí mật nhà "
        "nước, trong đó có ba độ mật theo luật định. Bí mật của thành công là sự chuẩn bị kỹ.",
        path=(
            ("hung.le", "approve", None),
            (
                "thao.pham",
                "approve-with-recommendations",
                "Nên bổ sung lịch các hội nghị tiếp theo.",
            ),
        ),
    ),
    Story(
        "partners",
        "Báo cáo hợp tác với tỉnh kết nghĩa (gửi đối tác)",
        "Tóm tắt kết quả hợp tác năm 2026 với tỉnh kết nghĩa: giáo dục, y tế, du lịch.",
        channels=("foreign_partners",),
        level="noi_bo",
        path=AUTO,
    ),
    Story(
        "tourism",
        "Mùa mật ong hoa cà phê ở cao nguyên",
        "Tháng 3 là mùa thu hoạch mật ong hoa cà phê. Du khách có thể tham quan trại ong và "
        "tìm hiểu mật độ đàn ong trên mỗi héc-ta.",
        author="minh.tran",
        path=LEADERS,
    ),
    Story(
        "security",
        "Hội thảo an toàn thông tin cho dịch vụ công trực tuyến",
        "Sở Thông tin và Truyền thông tổ chức hội thảo an toàn thông tin: chuyên gia giới thiệu "
        "ứng dụng mật mã trong dịch vụ công trực tuyến và cách bảo vệ tài khoản người dân.",
        path=AUTO,
    ),
    Story("secret-plan", "Kế hoạch bảo vệ mục tiêu", "MẬT\n\nKế hoạch bố trí lực lượng."),
    Story(
        "top-secret",
        "Phương án tác chiến",
        "TUYỆT MẬT\n\nPhương án bố trí lực lượng tại khu vực biên giới.",
        author="minh.tran",
    ),
    Story(
        "banner",
        "Minutes of the border committee",
        "CONFIDENTIAL\n\nMinutes of the joint border committee meeting.",
    ),
    Story(
        "rejected",
        "Thông cáo về kết quả đàm phán chưa kết thúc",
        "Dự kiến công bố kết quả đàm phán trước khi hai bên ký kết.",
        path=(("hung.le", "reject", "Đàm phán chưa kết thúc, chưa được công bố."),),
    ),
    Story(
        "changes",
        "Hội thảo xúc tiến du lịch",
        "Hội thảo xúc tiến du lịch sẽ diễn ra vào tháng tới.",
        author="minh.tran",
        path=(("hung.le", "request-changes", "Ghi rõ ngày và địa điểm hội thảo."),),
    ),
    Story(
        "waiting",
        "Lịch tiếp công dân tháng 12",
        "Lãnh đạo Sở tiếp công dân vào sáng thứ Năm hằng tuần tại trụ sở.",
        path=(("hung.le", "approve", None),),
    ),
)

RESUBMITTED = Submission(
    title="Hội thảo xúc tiến du lịch ngày 15/12/2026 tại Trung tâm Hội nghị tỉnh",
    channels=["website"],
    declared_level="cong_khai",
    body_text="Hội thảo xúc tiến du lịch diễn ra ngày 15/12/2026 tại Trung tâm Hội nghị tỉnh.",
)


@dataclass
class DemoResult:
    items: dict[str, str] = field(default_factory=dict)
    states: dict[str, str] = field(default_factory=dict)
    report: Report | None = None
    export_dir: Path | None = None


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (48, 32), (200, 30, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def _submit(rt: Runtime, story: Story) -> str:
    attachments = [Upload("anh-doan-khach.png", io.BytesIO(_png()))] if story.image else []
    return submit(
        rt,
        author=story.author,
        submission=Submission(
            title=story.title,
            channels=list(story.channels),
            declared_level=story.level,
            body_text=story.body,
            attachments=attachments,
        ),
    )


def next_approver(rt: Runtime, item_id: str) -> str | None:
    """The first approver (by username) who may sign the open stage now, if any."""
    from clearance.policy.store import stored_policy
    from clearance.services.items import current_revision
    from clearance.services.review import eligible_approvers
    from clearance.services.signoff import revision_signoff_state

    with rt.sessions() as session:
        item = load_item(session, item_id)
        if item.state != "awaiting_signoff":
            return None
        revision = current_revision(session, item)
        assert revision.policy_hash is not None
        policy = stored_policy(session, revision.policy_hash)
        users = eligible_approvers(session, revision_signoff_state(session, policy, item, revision))
        return users[0].username if users else None


def _play(
    rt: Runtime,
    item: str,
    path: tuple[tuple[str, str, str | None], ...],
    password: str,
    after_signoff: Trigger,
) -> None:
    steps = list(path)
    while steps:
        username, decision, comment = steps[0]
        if username == "*":
            found = next_approver(rt, item)
            if found is None:
                return
            username = found
        else:
            steps.pop(0)
        out = decide(rt, item_id=item, approver=username, password=password,
                     decision=decision, comment=comment)  # fmt: skip
        if out.publish:
            after_signoff(rt, item)
            return


def wait_for(rt: Runtime, item_id: str, leaving: set[str], timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while True:
        with rt.sessions() as session:
            state = load_item(session, item_id).state
        if state not in leaving or time.monotonic() > deadline:
            return state
        time.sleep(0.1)


def run_demo(
    rt: Runtime,
    *,
    password: str,
    after_submit: Trigger,
    after_signoff: Trigger,
    say: Callable[[str], None] = print,
) -> DemoResult:
    """Play every story through the given triggers (Prefect or inline) and verify the log."""
    result = DemoResult()
    ensure_cast(rt, password, actor="demo")
    for story in STORIES:
        item = _submit(rt, story)
        result.items[story.key] = item
        after_submit(rt, item)
    for story in STORIES:
        item = result.items[story.key]
        state = wait_for(rt, item, {"submitted", "classified"})
        say(f"{item}  {story.key:<12} reviewed: {state}")
        if state != "awaiting_signoff":
            continue
        _play(rt, item, story.path, password, after_signoff)
    changed = result.items["changes"]
    new_revision(rt, author="minh.tran", item_id=changed, submission=RESUBMITTED,
                 note="Đã ghi rõ ngày và địa điểm.")  # fmt: skip
    after_submit(rt, changed)
    wait_for(rt, changed, {"submitted", "classified"})
    _play(rt, changed, AUTO, password, after_signoff)
    for key, item in result.items.items():
        result.states[key] = wait_for(rt, item, {"approved", "submitted", "classified"})
    export = rt.settings.home / "audit-export"
    shutil.rmtree(export, ignore_errors=True)
    vkey = (rt.settings.keys_dir / "log.vkey").read_text(encoding="utf-8").strip()
    with rt.sessions() as session:
        export_log(session, export, vkey)
    result.export_dir = export
    result.report = verify_export(export, vkey)
    return result
