"""Themes, languages and language versions of an item, through the core services on a real
audit log: validated against the policy, recorded in the signed submission event, screened,
covered by the one release manifest and published together."""

from __future__ import annotations

import dataclasses
import io
import json

import pytest
from sqlalchemy import select

from clearance.auditlog.entry import parse_leaf
from clearance.auditlog.store import leaf_at, seqs_for_item
from clearance.domain.lifecycle import State
from clearance.domain.manifest import Manifest, PartRole
from clearance.errors import BadInput
from clearance.publishing import PublicationStatus, publish_all
from clearance.runtime import Runtime
from clearance.services.items import LanguageVersion, Submission, new_revision, submit
from clearance.services.review import review_revision
from clearance.services.signoff import decide
from clearance.services.uploads import Upload
from clearance.storage.models import Revision
from tests.flows.conftest import CLEAN_BODY, PASSWORD, approve_fully

EN_TITLE = "Provincial People's Committee welcomes Japanese investors"
EN_BODY = (
    "On 20 November 2026 the Provincial People's Committee welcomed a delegation of Japanese "
    "companies exploring investment in the northern industrial park."
)


def _submit(
    rt: Runtime,
    *,
    themes: tuple[str, ...] = ("xuc_tien_dau_tu", "quang_ba_tinh"),
    language: str | None = "vi",
    versions: tuple[LanguageVersion, ...] = (LanguageVersion("en", EN_TITLE, EN_BODY),),
    channels: tuple[str, ...] = ("website",),
) -> str:
    return submit(
        rt,
        author="lan.nguyen",
        submission=Submission(
            title="UBND tỉnh tiếp đoàn doanh nghiệp Nhật Bản",
            channels=list(channels),
            declared_level="cong_khai",
            body_text=CLEAN_BODY,
            themes=list(themes),
            language=language,
            versions=list(versions),
        ),
    )


def _events(rt: Runtime, item_id: str, kind: str) -> list[dict[str, object]]:
    with rt.sessions() as session:
        entries = [parse_leaf(leaf_at(session, s)) for s in seqs_for_item(session, item_id)]
    return [dict(e.body) for e in entries if e.type == kind]


def _revision(rt: Runtime, item_id: str, number: int = 1) -> Revision:
    with rt.sessions() as session:
        found = session.scalar(
            select(Revision).where(Revision.item_id == item_id, Revision.number == number)
        )
        assert found is not None
        session.expunge(found)
        return found


def test_themes_language_and_versions_are_stored_and_signed_into_the_log(rt: Runtime) -> None:
    item = _submit(rt, themes=("quang_ba_tinh", "xuc_tien_dau_tu"))
    [body] = _events(rt, item, "item.submitted")
    assert body["themes"] == ["quang_ba_tinh", "xuc_tien_dau_tu"]  # the policy's order
    assert body["language"] == "vi"
    assert body["versions"] == [{"language": "en", "title": EN_TITLE, "part": "body.en.txt"}]
    revision = _revision(rt, item)
    assert revision.themes == ["quang_ba_tinh", "xuc_tien_dau_tu"]
    assert revision.language == "vi"
    submitted = Manifest.from_json_text(revision.manifest_json)
    assert submitted.language == "vi"
    assert submitted.themes == ("quang_ba_tinh", "xuc_tien_dau_tu")
    [version] = submitted.versions
    assert (version.language, version.title) == ("en", EN_TITLE)
    assert rt.blobs.read(version.sha256) == EN_BODY.encode("utf-8")


def test_the_policy_default_language_applies_when_none_is_given(rt: Runtime) -> None:
    item = _submit(rt, language=None, versions=(), themes=())
    [body] = _events(rt, item, "item.submitted")
    assert body["language"] == "vi" and body["themes"] == [] and body["versions"] == []


@pytest.mark.parametrize(
    ("kwargs", "code", "params"),
    [
        ({"themes": ("bien_dao", "thoi_tiet")}, "unknown_theme", {"theme": "thoi_tiet"}),
        ({"language": "xx"}, "unknown_language", {"language": "xx"}),
        ({"language": "de"}, "unknown_language", {"language": "de"}),  # ISO, not in the policy
        (
            {"versions": (LanguageVersion("de", "Titel", "Text"),)},
            "unknown_language",
            {"language": "de"},
        ),
        (
            {"versions": (LanguageVersion("vi", "Bản khác", "Nội dung"),)},
            "duplicate_language",
            {"language": "vi"},
        ),
        (
            {"versions": (LanguageVersion("en", "A", "b"), LanguageVersion("en", "C", "d"))},
            "duplicate_language",
            {"language": "en"},
        ),
        (
            {"versions": (LanguageVersion("en", EN_TITLE, "  "),)},
            "version_incomplete",
            {"language": "en"},
        ),
        ({"versions": (LanguageVersion("", EN_TITLE, EN_BODY),)}, "version_language_missing", {}),
    ],
)
def test_bad_themes_and_languages_are_refused_with_a_code(
    rt: Runtime, kwargs: dict[str, object], code: str, params: dict[str, str]
) -> None:
    with pytest.raises(BadInput) as caught:
        _submit(rt, **kwargs)  # type: ignore[arg-type]
    assert caught.value.code == code
    assert caught.value.params == params


def test_a_marking_only_in_the_english_version_blocks(rt: Runtime) -> None:
    secret = LanguageVersion("en", EN_TITLE, "MẬT\n\nDeployment plan of the protection forces.")
    item = _submit(rt, versions=(secret,))
    outcome = review_revision(rt, item)
    assert outcome.state is State.BLOCKED
    assert any(reason.startswith("body.en.txt: marking.") for reason in outcome.reasons)
    [screened] = _events(rt, item, "revision.screened")
    files = {f["file"] for f in screened["findings"]}  # type: ignore[union-attr]
    assert files == {"body.en.txt"}


def test_a_marking_only_in_a_version_title_blocks(rt: Runtime) -> None:
    item = _submit(rt, versions=(LanguageVersion("en", "TỐI MẬT", EN_BODY),))
    assert review_revision(rt, item).state is State.BLOCKED


def test_one_release_manifest_covers_every_version_and_they_are_published_together(
    rt: Runtime,
) -> None:
    item = _submit(rt, channels=("website", "press"))
    outcome = review_revision(rt, item)
    assert outcome.state is State.AWAITING_SIGNOFF
    revision = _revision(rt, item)
    assert revision.release_manifest_json is not None
    release = Manifest.from_json_text(revision.release_manifest_json)
    assert release.hash == outcome.release_manifest_hash
    assert [(p.name, p.role) for p in release.parts] == [
        ("body.txt", PartRole.BODY),
        ("body.en.txt", PartRole.VERSION),
    ]
    assert release.language == "vi" and release.themes == ("quang_ba_tinh", "xuc_tien_dau_tu")
    assert release.versions[0].title == EN_TITLE
    approve_fully(rt, item)
    outcomes = publish_all(rt, item)
    assert {o.status for o in outcomes} == {PublicationStatus.PUBLISHED}
    site = rt.settings.published_dir / "items" / item
    page = (site / "index.html").read_text("utf-8")
    assert "tiếp đoàn doanh nghiệp Nhật Bản" in page
    assert (
        f'<section lang="en" id="version-en">\n<h2>{EN_TITLE.replace(chr(39), "&#x27;")}</h2>'
        in page
    )
    assert "northern industrial park" in page
    assert (site / "files" / "body.en.txt").read_bytes() == EN_BODY.encode("utf-8")
    published_manifest = json.loads((site / "manifest.json").read_text("utf-8"))
    assert [p["name"] for p in published_manifest["parts"]] == ["body.txt", "body.en.txt"]
    press = next(o.location for o in outcomes if o.channel == "press")
    assert press is not None
    from pathlib import Path

    assert (Path(press) / "files" / "body.en.txt").read_bytes() == EN_BODY.encode("utf-8")


def test_a_revision_keeps_or_changes_themes_and_a_theme_change_is_a_new_manifest(
    rt: Runtime,
) -> None:
    item = _submit(rt)
    review_revision(rt, item)
    decide(
        rt,
        item_id=item,
        approver="hung.le",
        password=PASSWORD,
        decision="request-changes",
        comment="Thêm chủ đề du lịch.",
    )
    first = _revision(rt, item, 1)
    number = new_revision(
        rt,
        author="lan.nguyen",
        item_id=item,
        submission=Submission(
            title=first.title,
            channels=list(first.channels),
            declared_level="cong_khai",
            body_text=CLEAN_BODY,
            themes=[*(first.themes or []), "du_lich"],
            language="vi",
            versions=[LanguageVersion("en", EN_TITLE, EN_BODY)],
        ),
        note="Thêm chủ đề du lịch.",
    )
    second = _revision(rt, item, number)
    assert second.themes == ["quang_ba_tinh", "xuc_tien_dau_tu", "du_lich"]
    assert second.manifest_hash != first.manifest_hash
    bodies = _events(rt, item, "item.submitted")
    assert [b["themes"] for b in bodies] == [
        ["quang_ba_tinh", "xuc_tien_dau_tu"],
        ["quang_ba_tinh", "xuc_tien_dau_tu", "du_lich"],
    ]


def test_reports_count_publications_by_theme_and_filter_by_language_from_the_log(
    rt: Runtime,
) -> None:
    from datetime import date, timedelta

    from clearance.reports.figures import Filters, compute, parse_period
    from clearance.reports.source import LiveHistory
    from tests.flows.conftest import SECRET_BODY

    def item(
        themes: tuple[str, ...],
        language: str,
        versions: tuple[LanguageVersion, ...] = (),
        channels: tuple[str, ...] = ("website",),
        body: str = CLEAN_BODY,
        publish: bool = True,
    ) -> str:
        found = submit(
            rt,
            author="lan.nguyen",
            submission=Submission(
                title="Tin bài thử", channels=list(channels), declared_level="cong_khai",
                body_text=body, themes=list(themes), language=language, versions=list(versions),
            ),
        )  # fmt: skip
        outcome = review_revision(rt, found)
        if publish:
            approve_fully(rt, found)
            publish_all(rt, found)
        else:
            assert outcome.state is State.BLOCKED
        return found

    english = LanguageVersion("en", EN_TITLE, EN_BODY)
    chinese = LanguageVersion("zh", "省人民委员会接待日本企业代表团", "日本企业代表团访问本省。")
    item(("bien_dao", "du_lich"), "vi", (english,))  # A: published on the website
    item(("du_lich",), "en", channels=("website", "press"))  # B: published on two channels
    item(("bien_dao",), "vi", body=SECRET_BODY, publish=False)  # C: blocked
    item((), "vi", (chinese,))  # D: published, no theme

    with rt.readers() as session:
        history = LiveHistory().current(session)
    today = date.today()
    period = parse_period(f"{today - timedelta(days=1)}..{today + timedelta(days=1)}")

    def figures(**filters: str) -> dict[str, object]:
        return compute(history, period, Filters(**filters)).to_json()

    everything = figures()
    by_theme = everything["publications_by_theme"]
    assert {k: v["value"] for k, v in by_theme.items()} == {"bien_dao": 1, "du_lich": 3}  # type: ignore[union-attr]
    by_channel = everything["publications_by_channel"]
    assert {k: v["value"] for k, v in by_channel.items()} == {"press": 1, "website": 3}  # type: ignore[union-attr]

    def outcomes(**filters: str) -> dict[str, int]:
        data = figures(**filters)["outcomes"]
        return {k: v["value"] for k, v in data.items() if v["value"]}  # type: ignore[union-attr]

    assert outcomes() == {"submitted": 4, "published": 3, "blocked": 1}
    assert outcomes(theme="bien_dao") == {"submitted": 2, "published": 1, "blocked": 1}
    assert outcomes(theme="du_lich") == {"submitted": 2, "published": 2}
    assert outcomes(language="en") == {"submitted": 2, "published": 2}  # A's version, B's text
    assert outcomes(language="zh") == {"submitted": 1, "published": 1}
    assert outcomes(language="vi") == {"submitted": 3, "published": 2, "blocked": 1}
    assert outcomes(language="ko") == {}
    assert outcomes(theme="bien_dao", language="en") == {"submitted": 1, "published": 1}
    # every theme figure traces back to publication entries of the log
    with rt.sessions() as session:
        for seq in by_theme["du_lich"]["entries"]:  # type: ignore[index]
            assert parse_leaf(leaf_at(session, seq)).type == "publication.published"
    assert history.label("bien_dao") == "Biển, đảo" and history.label("zh") == "Tiếng Trung"


# -- files of a language version --------------------------------------------------------------

VI_PDF = "thong-cao-bao-chi.pdf"
EN_PDF = "press-release.pdf"


def _with_files(
    rt: Runtime,
    *,
    version_files: tuple[tuple[str, str, bytes], ...],
    versions: tuple[LanguageVersion, ...] = (LanguageVersion("en", EN_TITLE, EN_BODY),),
) -> str:
    from tests.screening import corpus as c

    return submit(
        rt,
        author="lan.nguyen",
        submission=Submission(
            title="UBND tỉnh tiếp đoàn doanh nghiệp Nhật Bản",
            channels=["website"],
            declared_level="cong_khai",
            body_text=CLEAN_BODY,
            language="vi",
            versions=list(versions),
            attachments=[Upload(VI_PDF, io.BytesIO(c.pdf(["Thong cao bao chi ve doan Nhat Ban"])))],
            version_files=[
                (lang, Upload(name, io.BytesIO(data))) for lang, name, data in version_files
            ],
        ),
    )


def test_a_version_carries_its_own_files_screened_released_and_published_with_it(
    rt: Runtime,
) -> None:
    """The English PDF beside the Vietnamese one: the submission and the one release manifest
    name the version each file belongs to (the link is in the signed submission), both are
    screened, signed off as one release and published together, the page listing each
    version's files in its own section."""
    from tests.screening import corpus as c

    english = c.pdf(["Press release on the Japanese delegation"])
    item = _with_files(rt, version_files=(("en", EN_PDF, english),))
    [body] = _events(rt, item, "item.submitted")
    assert body["versions"] == [
        {"language": "en", "title": EN_TITLE, "part": "body.en.txt", "files": [EN_PDF]}
    ]
    submitted = Manifest.from_json_text(_revision(rt, item).manifest_json)
    assert [p.name for p in submitted.files_of("en")] == [EN_PDF]
    assert [p.name for p in submitted.files_of(None)] == [VI_PDF]
    assert review_revision(rt, item).state is State.AWAITING_SIGNOFF
    revision = _revision(rt, item)
    assert revision.release_manifest_json is not None
    release = Manifest.from_json_text(revision.release_manifest_json)
    assert {p.name: p.language for p in release.parts if p.role is PartRole.ATTACHMENT} == {
        VI_PDF: None,
        EN_PDF: "en",
    }
    assert {p["name"]: p.get("version") for p in revision.screening["parts"]} == {  # type: ignore[index]
        "body.txt": None, "body.en.txt": "en", VI_PDF: None, EN_PDF: "en"}  # fmt: skip
    approve_fully(rt, item)
    assert {o.status for o in publish_all(rt, item)} == {PublicationStatus.PUBLISHED}
    site = rt.settings.published_dir / "items" / item
    page = (site / "index.html").read_text("utf-8")
    english_section = page[page.index('<section lang="en"') :].split("</section>")[0]
    assert f'href="files/{EN_PDF}"' in english_section and VI_PDF not in english_section
    main_files = page[page.index("<h2>Tệp đính kèm</h2>") :].split("</ul>")[0]
    assert f'href="files/{VI_PDF}"' in main_files and EN_PDF not in main_files
    assert (site / "files" / EN_PDF).is_file() and (site / "files" / VI_PDF).is_file()
    published = json.loads((site / "manifest.json").read_text("utf-8"))
    assert {p["name"]: p.get("language") for p in published["parts"]}[EN_PDF] == "en"


def test_a_marking_in_a_version_file_blocks_and_the_finding_names_the_version(
    rt: Runtime,
) -> None:
    from tests.screening import corpus as c

    secret = c.pdf(["MAT", "Deployment plan of the protection forces"])
    item = _with_files(rt, version_files=(("en", EN_PDF, secret),))
    outcome = review_revision(rt, item)
    assert outcome.state is State.BLOCKED
    assert any(reason.startswith(f"{EN_PDF}: marking.") for reason in outcome.reasons)
    [screened] = _events(rt, item, "revision.screened")
    found = {(f["file"], f.get("version")) for f in screened["findings"]}  # type: ignore[union-attr]
    assert (EN_PDF, "en") in found


@pytest.mark.parametrize(
    ("versions", "language", "params"),
    [
        ((LanguageVersion("en", EN_TITLE, EN_BODY),), "fr", {"name": EN_PDF, "language": "fr"}),
        ((), "en", {"name": EN_PDF, "language": "en"}),
        ((LanguageVersion("en", EN_TITLE, EN_BODY),), "vi", {"name": EN_PDF, "language": "vi"}),
    ],
)
def test_a_file_of_a_language_without_a_version_is_refused_with_a_code(
    rt: Runtime, versions: tuple[LanguageVersion, ...], language: str, params: dict[str, str]
) -> None:
    from tests.screening import corpus as c

    with pytest.raises(BadInput) as caught:
        _with_files(rt, versions=versions, version_files=((language, EN_PDF, c.pdf(["x"])),))
    assert caught.value.code == "version_file_without_version"
    assert caught.value.params == params


def test_a_manifest_whose_file_names_a_language_without_a_version_is_refused() -> None:
    """Fail closed wherever a manifest comes from (built or read back): a file of no version
    is not a stray attachment."""
    from clearance.domain.manifest import ManifestKind, PartEntry

    stray = PartEntry("press-release.pdf", PartRole.ATTACHMENT, "a" * 64, 10,
                      "application/pdf", language="en")  # fmt: skip
    with pytest.raises(BadInput) as caught:
        Manifest.build(kind=ManifestKind.RELEASE, item_id="i", title="t", channels=["website"],
                       declared_level="cong_khai", parts=[stray], language="vi")  # fmt: skip
    assert caught.value.code == "version_file_without_version"
    version = PartEntry("body.en.txt", PartRole.VERSION, "b" * 64, 5, "text/plain",
                        language="en", title="T")  # fmt: skip
    good = Manifest.build(kind=ManifestKind.RELEASE, item_id="i", title="t", channels=["website"],
                          declared_level="cong_khai", parts=[version, stray], language="vi")  # fmt: skip
    assert Manifest.from_json_text(good.canonical().decode()) == good
    doc = good.to_json()
    doc["parts"][1]["language"] = "fr"  # the file moved to a version the item does not have
    with pytest.raises(BadInput) as caught:
        Manifest.from_json_text(json.dumps(doc))
    assert caught.value.code == "version_file_without_version"


def test_the_verifier_checks_the_part_to_version_links_of_a_submission(rt: Runtime) -> None:
    """The offline verifier reads the submission entry: its manifest must hash to the entry's
    manifest (the one sign-offs bind) and each version's files must be the attachments that
    manifest links to the version; a body that moves a file to another version is a finding."""
    from clearance.auditlog.workflow import Workflow, version_files_problem
    from tests.screening import corpus as c

    item = _with_files(rt, version_files=(("en", EN_PDF, c.pdf(["Press release"])),))
    with rt.sessions() as session:
        entries = [parse_leaf(leaf_at(session, s)) for s in seqs_for_item(session, item)]
    [submitted] = [e for e in entries if e.type == "item.submitted"]
    assert submitted.manifest is not None
    body = dict(submitted.body)
    assert version_files_problem(body, submitted.manifest) is None
    flow = Workflow()
    flow.apply(0, submitted)
    assert [f.code for f in flow.findings] == []
    moved = body | {"versions": [dict(body["versions"][0], files=[])]}  # type: ignore[index]
    assert "not those its manifest links" in str(version_files_problem(moved, submitted.manifest))
    other = dict(body)
    other_manifest = json.loads(str(body["manifest"]))
    other_manifest["parts"] = [p for p in other_manifest["parts"] if p["name"] != EN_PDF]
    other["manifest"] = json.dumps(other_manifest)
    assert "does not hash" in str(version_files_problem(other, submitted.manifest))
    flow = Workflow()
    flow.apply(0, dataclasses.replace(submitted, body=moved))
    assert [f.code for f in flow.findings] == ["submission-version-files"]


# -- the Atom feed and the webhook say each file's version ------------------------------------

ATOM = "{http://www.w3.org/2005/Atom}"
XHTML = "{http://www.w3.org/1999/xhtml}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _check_atom(feed: str) -> list[object]:
    """The feed parses and follows RFC 4287's MUSTs that a generator can break: one atom:id,
    atom:title and atom:updated per feed and entry (RFC 3339 dates), an author, every link
    with an href, at most one alternate link per (type, hreflang) in an entry, an xhtml
    content's single xhtml:div child, an enclosure's length a number. Returns the entries."""
    from datetime import datetime
    from xml.etree import ElementTree

    root = ElementTree.fromstring(feed.encode("utf-8"))  # well-formed, UTF-8 declared
    assert root.tag == f"{ATOM}feed"
    for holder in (root, *root.findall(f"{ATOM}entry")):
        for name in ("id", "title", "updated"):
            assert len(holder.findall(f"{ATOM}{name}")) == 1, (holder.tag, name)
        datetime.fromisoformat(str(holder.findtext(f"{ATOM}updated")))
        alternates = [
            (link.get("type"), link.get("hreflang"))
            for link in holder.findall(f"{ATOM}link")
            if link.get("rel", "alternate") == "alternate"
        ]
        assert len(alternates) == len(set(alternates)), alternates
        for link in holder.findall(f"{ATOM}link"):
            assert link.get("href")
            if link.get("rel") == "enclosure":
                assert str(link.get("length")).isdigit()
        for content in holder.findall(f"{ATOM}content"):
            if content.get("type") == "xhtml":
                assert [c.tag for c in content] == [f"{XHTML}div"]
    assert root.find(f"{ATOM}author/{ATOM}name") is not None
    return list(root.findall(f"{ATOM}entry"))


def test_the_atom_feed_names_each_file_under_its_version(rt: Runtime) -> None:
    """One entry per release: the main text's page as the alternate in Vietnamese, the
    English version as an alternate with ``hreflang="en"`` and its title, each file an
    enclosure in its version's language, and the content groups each version's files under
    it (``xml:lang`` set), as the published page does."""
    from xml.etree import ElementTree

    from tests.screening import corpus as c

    english = c.pdf(["Press release on the Japanese delegation"])
    item = _with_files(rt, version_files=(("en", EN_PDF, english),))
    review_revision(rt, item)
    approve_fully(rt, item)
    assert {o.status for o in publish_all(rt, item)} == {PublicationStatus.PUBLISHED}
    site = rt.settings.published_dir
    feed = (site / "feed.atom").read_text("utf-8")
    [entry] = _check_atom(feed)
    links = entry.findall(f"{ATOM}link")
    alternates = {
        link.get("hreflang"): link for link in links if link.get("rel", "alternate") == "alternate"
    }
    assert set(alternates) == {"vi", "en"}
    assert alternates["en"].get("title") == EN_TITLE
    assert str(alternates["en"].get("href")).endswith(f"/items/{item}/#version-en")
    page = (site / "items" / item / "index.html").read_text("utf-8")
    assert '<section lang="en" id="version-en">' in page  # the alternate's fragment exists
    enclosures = {
        str(link.get("href")).rsplit("/", 1)[-1]: link
        for link in links
        if link.get("rel") == "enclosure"
    }
    assert set(enclosures) == {VI_PDF, EN_PDF}
    assert enclosures[EN_PDF].get("hreflang") == "en"
    assert enclosures[EN_PDF].get("title") == EN_TITLE
    assert enclosures[EN_PDF].get("length") == str(len(english))
    assert enclosures[EN_PDF].get("type") == "application/pdf"
    assert str(enclosures[EN_PDF].get("href")).endswith(f"/items/{item}/files/{EN_PDF}")
    assert enclosures[VI_PDF].get("hreflang") == "vi"
    # the content: the main text's files, then the English version's own, each in its language
    content = entry.find(f"{ATOM}content")
    assert content is not None and content.get(XML_LANG) == "vi"
    [div] = list(content)
    sections = {s.get(XML_LANG): s for s in div.iter(f"{XHTML}div") if s.get(XML_LANG)}
    assert set(sections) == {"en"}

    def named(holder: ElementTree.Element) -> set[str]:
        return {str(a.get("href")).rsplit("/", 1)[-1] for a in holder.iter(f"{XHTML}a")}

    assert sections["en"].findtext(f"{XHTML}h2") == EN_TITLE
    assert named(sections["en"]) == {EN_PDF}
    assert [c.tag for c in div] == [f"{XHTML}ul", f"{XHTML}div"]  # the main files, then en
    assert named(div[0]) == {VI_PDF}
