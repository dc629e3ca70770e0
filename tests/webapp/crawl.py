"""A crawler over everything a user of each role can reach: a seeded world with items in every
state, every same-origin link followed from the home page (GET only, never a form, bounded),
each page checked for what a Vietnamese user must not see (a raw policy id, English UI words),
for server errors and for links that lead nowhere.

``seed`` builds the world, ``crawl`` walks it through the Flask test client, ``problems`` reads
one page. The browser tests (``test_crawl_browser``) walk the same URLs in Chromium."""

from __future__ import annotations

import re
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from flask import Flask

from clearance.policy.values import Policy
from tests.webapp.helpers import browser
from tests.webapp.test_story import BODY, decide, submit, submit_budget
from webapp.findings import emitted_rules

#: one user per role: the author, an approver of each sign-off role, the auditor, the admin
ROLES = ("tac.gia", "lanh.dao", "phat.ngon", "bao.mat", "thu.truong", "kiem.toan", "quan.tri")
MAX_PAGES = 200  # per role
MAX_PER_PATH = 4  # query-string variants of one path (filters, pages of a list)

#: English UI words a Vietnamese page must not show (whole words, case as written; function
#: words lower case). Not in the list: words that are also Vietnamese ("to", "an", "con"...).
ENGLISH = (
    "Submit", "Pending", "Approved", "Rejected", "Published", "Blocked", "Draft", "Error",
    "Not found", "Forbidden", "Save", "Cancel", "Search", "Next", "Previous", "Back",
    "Download", "Item", "Items", "Queue", "Password", "Log in", "Log out", "Verify", "Status",
    "Loading", "Stage", "Channel", "Level", "Severity", "Rule", "Reason", "Signed",
    "the", "and", "of", "is", "with", "for", "from", "not", "more", "this", "your", "are",
)  # fmt: skip
_ENGLISH = re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in ENGLISH) + r")(?!\w)")
#: elements whose text is not UI text: technical ids, user content, scripts
SKIPPED = {"code", "script", "style", "pre", "textarea", "kbd", "samp"}
#: attributes a user reads or hears (tooltips, placeholders, screen readers)
READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
#: proper names shown as they are
PROPER_NAMES = ("Clearance",)


def raw_ids(policy: Policy) -> set[str]:
    """Every policy id a page could show instead of its label."""
    ids = {level.name for level in policy.levels}
    ids |= set(policy.channels) | set(policy.signoff_roles) | set(policy.chains)
    ids |= {stage.id for chain in policy.chains.values() for stage in chain.stages}
    ids |= set(emitted_rules(policy.screening))
    return ids


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.text: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in SKIPPED:
            self.depth += 1
        if tag == "a" and found.get("href"):
            self.links.append(str(found["href"]))
        if tag == "img" and found.get("src"):
            self.links.append(str(found["src"]))
        if not self.depth:
            self.text += [str(found[a]) for a in READ_ATTRIBUTES if found.get(a)]

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.text.append(data)


def read(html: str) -> tuple[str, list[str]]:
    """The text a user reads on the page (not code, user content or scripts) and its links."""
    parser = _Page()
    parser.feed(html)
    text = " ".join(" ".join(parser.text).split())
    for name in PROPER_NAMES:
        text = text.replace(name, " ")
    return text, parser.links


def problems(text: str, ids: set[str]) -> list[str]:
    found = [f"English: {m}" for m in sorted(set(_ENGLISH.findall(text)))]
    words = set(re.findall(r"[\w.]+", text))
    found += [f"raw id: {i}" for i in sorted(ids & {w.strip(".") for w in words})]
    return found


@dataclass
class Visit:
    url: str
    status: int
    html: bool
    problems: list[str] = field(default_factory=list)
    linked_from: str = ""


def _same_origin(base: str, href: str) -> str | None:
    """The path (and query) of ``href`` when it stays on the server, else None."""
    if href.startswith(("mailto:", "tel:", "javascript:", "data:", "#")):
        return None
    target = urlsplit(urljoin("http://localhost" + base, href))
    if target.scheme not in ("http", "https") or target.hostname not in ("localhost", None):
        return None
    return target.path + (f"?{target.query}" if target.query else "")


def crawl(app: Flask, username: str | None, ids: set[str], start: str = "/") -> list[Visit]:
    """Every page ``username`` reaches by links from ``start`` (breadth first, bounded)."""
    b = browser(app, username)
    queue: deque[tuple[str, str]] = deque([(start, "")])
    seen: set[str] = {start}
    per_path: Counter[str] = Counter()
    visits: list[Visit] = []
    while queue and len(visits) < MAX_PAGES:
        url, origin = queue.popleft()
        response = b.client.get(url)
        if response.status_code in (301, 302, 303, 307, 308):
            target = _same_origin(url, response.headers["Location"])
            visits.append(Visit(url, response.status_code, False, linked_from=origin))
            if target and target not in seen:
                seen.add(target)
                queue.append((target, url))
            continue
        html = response.content_type.startswith("text/html")
        visit = Visit(url, response.status_code, html, linked_from=origin)
        visits.append(visit)
        if not html or response.status_code != 200:
            continue
        text, links = read(response.get_data(as_text=True))
        visit.problems = problems(text, ids)
        for href in links:
            target = _same_origin(url, href)
            if target is None or target in seen:
                continue
            path = target.split("?", 1)[0]
            if "?" in target and per_path[path] >= MAX_PER_PATH:
                continue
            per_path[path] += 1
            seen.add(target)
            queue.append((target, url))
    return visits


def seed(app: Flask) -> dict[str, str]:
    """Items in every state a user meets: awaiting sign-off, held for the security officer,
    changes requested, rejected, approved (published), blocked (a state-secret stamp), a
    withdrawn one and a revised one (its spreadsheet's changed cells on the approver's page);
    returns state -> item id."""
    items = {"awaiting_signoff": submit(app, title="Lịch tiếp công dân tháng 3")}
    items["held"] = submit(
        app, title="Khảo sát hiện trường", body="Khu vực tại tọa độ 16.0544, 108.2022.\n" + BODY
    )
    items["changes_requested"] = submit(app, title="Thông báo tuyển dụng")
    decide(app, "lanh.dao", items["changes_requested"], "request_changes", "Bổ sung hạn nộp hồ sơ.")
    items["rejected"] = submit(app, title="Bản tin nội bộ")
    decide(app, "lanh.dao", items["rejected"], "reject", "Không phù hợp để công khai.")
    items["approved"] = submit(app, title="Lễ hội mùa xuân")
    decide(app, "lanh.dao", items["approved"], "approve")
    decide(app, "phat.ngon", items["approved"], "approve")
    items["blocked"] = submit(app, title="Công văn số 12", body="MẬT\n\nNội dung công văn.")
    items["withdrawn"] = submit(app, title="Giấy mời họp")
    author = browser(app, "tac.gia")
    author.get(f"/author/items/{items['withdrawn']}")
    response = author.post(
        f"/author/items/{items['withdrawn']}/withdraw", {"reason": "Đã có lịch mới."}
    )
    assert response.status_code == 302, response.status_code
    items["revised"] = submit_budget(app)
    return items
