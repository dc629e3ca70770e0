"""The screening rules a policy declares, and their validation.

The policy file's ``screening:`` section (inline, or ``{include: screening.yaml}``) is parsed by
:func:`parse_screening_rules`, which never raises on a mistake in the data: it appends one
:class:`clearance.errors.Problem` per mistake (file, field, expected, found, line) so the policy
owner can report every mistake at once. :func:`load_screening_rules` reads a stand-alone file and
raises :class:`clearance.errors.PolicyInvalid`.

Shape (see ``clearance/policies_default/screening.yaml`` for the full default)::

    version: 1
    levels: [han_che, mat, toi_mat, tuyet_mat]     # implied level names, lowest first
    top_lines: 12                                  # "top of the document" for stamps
    markings:      [{id, phrases, position: stamp|field|anywhere, case: any|upper, level,
                     severity, reference, verified, requires_reference?, explanation?}]
    keyword_lists: [{id, category, severity, level?, phrases, reference, verified}]
    identifiers:   [{id, kind: cccd|cmnd|phone|plate|coordinates, severity,
                     severity_with_context, context_words, window, reference, verified}]
    metadata:      [{id, kind, severity, reference, verified}]
    allowlist:     [{id, rule, value, reason, expires: YYYY-MM-DD}]
    limits:        {max_file_bytes, max_decompressed_bytes, max_streamed_bytes, max_ratio,
                    max_pages, max_depth, max_seconds, max_parts, stream_seconds_per_gb}

Every rule carries ``reference`` (its legal basis) and ``verified`` (false when the wording has not
been checked against the official text yet, so nobody mistakes a draft for the law).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from clearance.errors import PolicyInvalid, Problem
from clearance.screening.types import Severity
from clearance.yamlsource import read_source

LineOf = Callable[[str], "int | None"]


class MarkingPosition(StrEnum):
    """Where a marking must stand to count as a stamp rather than a mention."""

    STAMP = "stamp"  # a line of its own, or a short line at the top of the document
    FIELD = "field"  # the value of a labelled field such as "Độ mật: Mật"
    ANYWHERE = "anywhere"  # distinctive phrases (handling stamps) count wherever they are


class MarkingCase(StrEnum):
    ANY = "any"
    UPPER = "upper"  # only the upper-case form counts (English banners: SECRET, not "secret")


class IdentifierKind(StrEnum):
    CCCD = "cccd"
    CMND = "cmnd"
    PHONE = "phone"
    PLATE = "plate"
    COORDINATES = "coordinates"


class MetadataKind(StrEnum):
    AUTHOR = "author"  # creator, last modified by, company, EXIF artist, PDF author
    GPS = "gps"
    COMMENTS = "comments"
    TRACKED_CHANGES = "tracked_changes"
    HIDDEN_CONTENT = "hidden_content"  # hidden runs, hidden sheets, hidden HTML elements
    ACTIVE_CONTENT = "active_content"  # scripts, PDF JavaScript / open actions
    EMBEDDED_FILES = "embedded_files"
    REVISIONS = "revisions"  # earlier incremental PDF revisions
    EXTERNAL_REFERENCES = "external_references"
    DESCRIPTION = "description"  # titles, subjects, keywords, image descriptions


@dataclass(frozen=True, slots=True)
class Marking:
    id: str
    phrases: tuple[str, ...]
    position: MarkingPosition
    case: MarkingCase
    severity: Severity
    level: str | None
    reference: str
    verified: bool
    requires_reference: re.Pattern[str] | None = None
    explanation: str = ""


@dataclass(frozen=True, slots=True)
class KeywordList:
    id: str
    category: str
    severity: Severity
    level: str | None
    phrases: tuple[str, ...]
    reference: str
    verified: bool


@dataclass(frozen=True, slots=True)
class IdentifierRule:
    id: str
    kind: IdentifierKind
    severity: Severity
    severity_with_context: Severity
    context_words: tuple[str, ...]
    window: int
    reference: str
    verified: bool


@dataclass(frozen=True, slots=True)
class MetadataRule:
    id: str
    kind: MetadataKind
    severity: Severity
    reference: str
    verified: bool


@dataclass(frozen=True, slots=True)
class AllowEntry:
    """A narrow exception: one exact value, for one rule (or ``*``), with a reason and an expiry."""

    id: str
    rule: str
    value: str
    reason: str
    expires: dt.date


@dataclass(frozen=True, slots=True)
class Limits:
    max_file_bytes: int = 50 * 1024 * 1024
    max_decompressed_bytes: int = 200 * 1024 * 1024  # held in memory, over all parts
    max_streamed_bytes: int = 1024 * 1024 * 1024  # parsed as a stream (sheet XML), not held
    max_ratio: int = 100
    max_pages: int = 500
    max_depth: int = 3
    max_seconds: int = 30  # CPU seconds (limits.Budget; the wall backstop is WALL_FACTOR times)
    max_parts: int = 2000
    #: the time cap grows by this many seconds per GB of XML read as a stream (worksheets; 250:
    #: 1 s per 4 MB): a big real statistics file is screened, not stopped by a cap sized for a
    #: letter
    stream_seconds_per_gb: int = 250


#: a marking's level named in metadata or comments is reported as ``<marking id>.metadata``
METADATA_SUFFIX = ".metadata"


@dataclass(frozen=True, slots=True)
class ScreeningRules:
    version: int
    levels: tuple[str, ...]
    top_lines: int
    markings: tuple[Marking, ...]
    keyword_lists: tuple[KeywordList, ...]
    identifiers: tuple[IdentifierRule, ...]
    metadata: tuple[MetadataRule, ...]
    allowlist: tuple[AllowEntry, ...]
    limits: Limits

    def level_rank(self, level: str | None) -> int:
        """Position of ``level`` in ``levels`` (-1 for none or unknown)."""
        if level is None or level not in self.levels:
            return -1
        return self.levels.index(level)

    def metadata_rule(self, kind: MetadataKind) -> MetadataRule | None:
        for rule in self.metadata:
            if rule.kind is kind:
                return rule
        return None

    def rule_ids(self) -> tuple[str, ...]:
        """Every rule id a finding of these rules can carry: each marking (and its
        ``.metadata`` variant, a level named in metadata), keyword list, identifier and
        metadata rule. The engine's own ids are ``engine.ENGINE_RULES``."""
        ids: list[str] = []
        for marking in self.markings:
            ids += [marking.id, f"{marking.id}{METADATA_SUFFIX}"]
        ids += [k.id for k in self.keyword_lists]
        ids += [i.id for i in self.identifiers]
        ids += [m.id for m in self.metadata]
        return tuple(ids)

    def allowed(self, rule_id: str, value: str) -> AllowEntry | None:
        for entry in self.allowlist:
            if entry.value == value and entry.rule in (rule_id, "*"):
                return entry
        return None


_ID = re.compile(r"^[a-z][a-z0-9_.-]{1,63}$")
_LEVEL = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class _Checker:
    """Collects problems for one file while reading untrusted mappings."""

    def __init__(self, file: str, line_of: LineOf, problems: list[Problem]) -> None:
        self.file = file
        self.line_of = line_of
        self.problems = problems

    def add(self, field: str, expected: str, found: object) -> None:
        shown = found if isinstance(found, str) else repr(found)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        self.problems.append(Problem(self.file, field, expected, shown, self.line_of(field)))

    def mapping(self, value: object, field: str) -> Mapping[str, Any] | None:
        if isinstance(value, Mapping):
            return value
        self.add(field, "a mapping", type(value).__name__)
        return None

    def sequence(self, value: object, field: str) -> Sequence[Any]:
        if value is None:
            return ()
        if isinstance(value, list | tuple):
            return value
        self.add(field, "a list", type(value).__name__)
        return ()

    def text(self, data: Mapping[str, Any], key: str, field: str, *, required: bool = True) -> str:
        value = data.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.add(f"{field}.{key}", "a non-empty string", value)
            return ""
        return value

    def flag(self, data: Mapping[str, Any], key: str, field: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.add(f"{field}.{key}", "true or false", value)
            return default
        return value

    def integer(
        self, data: Mapping[str, Any], key: str, field: str, default: int, minimum: int
    ) -> int:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.add(f"{field}.{key}", f"an integer >= {minimum}", value)
            return default
        return value

    def severity(self, data: Mapping[str, Any], key: str, field: str) -> Severity:
        value = data.get(key)
        try:
            return Severity(str(value))
        except ValueError:
            self.add(f"{field}.{key}", "one of block, review, warn, info", value)
            return Severity.REVIEW

    def choice(
        self, data: Mapping[str, Any], key: str, field: str, enum: type[StrEnum], default: str
    ) -> Any:
        value = data.get(key, default)
        try:
            return enum(value)
        except ValueError:
            names = ", ".join(str(member) for member in enum)
            self.add(f"{field}.{key}", f"one of {names}", value)
            return enum(default)

    def phrases(self, data: Mapping[str, Any], key: str, field: str) -> tuple[str, ...]:
        items = self.sequence(data.get(key), f"{field}.{key}")
        out: list[str] = []
        seen: set[str] = set()
        for index, item in enumerate(items):
            if not isinstance(item, str) or not item.strip():
                self.add(f"{field}.{key}[{index}]", "a non-empty string", item)
                continue
            if item in seen:
                self.add(f"{field}.{key}[{index}]", "each phrase once", f"{item!r} repeated")
                continue
            seen.add(item)
            out.append(item)
        if not out and not items:
            self.add(f"{field}.{key}", "at least one phrase", "none")
        return tuple(out)

    def level(self, data: Mapping[str, Any], field: str, levels: tuple[str, ...]) -> str | None:
        value = data.get("level")
        if value is None:
            return None
        if not isinstance(value, str) or value not in levels:
            self.add(f"{field}.level", f"one of the levels {', '.join(levels)}", value)
            return None
        return value

    def rule_id(self, data: Mapping[str, Any], field: str, seen: set[str]) -> str:
        value = data.get("id")
        if not isinstance(value, str) or not _ID.match(value):
            self.add(f"{field}.id", "an id of lower-case letters, digits, '.', '_' or '-'", value)
            return f"invalid.{len(seen)}"
        if value in seen:
            self.add(f"{field}.id", "a rule id used once", f"{value!r} repeated")
        seen.add(value)
        return value


def _parse_markings(
    c: _Checker, items: Sequence[Any], prefix: str, levels: tuple[str, ...], seen: set[str]
) -> tuple[Marking, ...]:
    out: list[Marking] = []
    for index, raw in enumerate(items):
        field = f"{prefix}.markings[{index}]"
        data = c.mapping(raw, field)
        if data is None:
            continue
        rule_id = c.rule_id(data, field, seen)
        pattern: re.Pattern[str] | None = None
        requires = data.get("requires_reference")
        if requires is not None:
            try:
                pattern = re.compile(str(requires), re.IGNORECASE)
            except re.error as exc:
                c.add(f"{field}.requires_reference", "a valid regular expression", str(exc))
        out.append(
            Marking(
                id=rule_id,
                phrases=c.phrases(data, "phrases", field),
                position=c.choice(data, "position", field, MarkingPosition, "stamp"),
                case=c.choice(data, "case", field, MarkingCase, "any"),
                severity=c.severity(data, "severity", field),
                level=c.level(data, field, levels),
                reference=c.text(data, "reference", field),
                verified=c.flag(data, "verified", field, default=False),
                requires_reference=pattern,
                explanation=c.text(data, "explanation", field, required=False),
            )
        )
    return tuple(out)


def _parse_keywords(
    c: _Checker, items: Sequence[Any], prefix: str, levels: tuple[str, ...], seen: set[str]
) -> tuple[KeywordList, ...]:
    out: list[KeywordList] = []
    for index, raw in enumerate(items):
        field = f"{prefix}.keyword_lists[{index}]"
        data = c.mapping(raw, field)
        if data is None:
            continue
        out.append(
            KeywordList(
                id=c.rule_id(data, field, seen),
                category=c.text(data, "category", field),
                severity=c.severity(data, "severity", field),
                level=c.level(data, field, levels),
                phrases=c.phrases(data, "phrases", field),
                reference=c.text(data, "reference", field),
                verified=c.flag(data, "verified", field, default=False),
            )
        )
    return tuple(out)


def _parse_identifiers(
    c: _Checker, items: Sequence[Any], prefix: str, seen: set[str]
) -> tuple[IdentifierRule, ...]:
    out: list[IdentifierRule] = []
    for index, raw in enumerate(items):
        field = f"{prefix}.identifiers[{index}]"
        data = c.mapping(raw, field)
        if data is None:
            continue
        rule_id = c.rule_id(data, field, seen)
        severity = c.severity(data, "severity", field)
        with_context = (
            c.severity(data, "severity_with_context", field)
            if "severity_with_context" in data
            else severity
        )
        words = c.sequence(data.get("context_words"), f"{field}.context_words")
        context = tuple(w.lower() for w in words if isinstance(w, str) and w.strip())
        if len(context) != len(words):
            c.add(f"{field}.context_words", "a list of non-empty strings", words)
        out.append(
            IdentifierRule(
                id=rule_id,
                kind=c.choice(data, "kind", field, IdentifierKind, "cccd"),
                severity=severity,
                severity_with_context=with_context,
                context_words=context,
                window=c.integer(data, "window", field, default=60, minimum=1),
                reference=c.text(data, "reference", field),
                verified=c.flag(data, "verified", field, default=False),
            )
        )
    return tuple(out)


def _parse_metadata(
    c: _Checker, items: Sequence[Any], prefix: str, seen: set[str]
) -> tuple[MetadataRule, ...]:
    out: list[MetadataRule] = []
    kinds: set[MetadataKind] = set()
    for index, raw in enumerate(items):
        field = f"{prefix}.metadata[{index}]"
        data = c.mapping(raw, field)
        if data is None:
            continue
        rule = MetadataRule(
            id=c.rule_id(data, field, seen),
            kind=c.choice(data, "kind", field, MetadataKind, "author"),
            severity=c.severity(data, "severity", field),
            reference=c.text(data, "reference", field),
            verified=c.flag(data, "verified", field, default=False),
        )
        if rule.kind in kinds:
            c.add(f"{field}.kind", "each metadata kind once", f"{rule.kind!s} repeated")
        kinds.add(rule.kind)
        out.append(rule)
    return tuple(out)


def _parse_allowlist(
    c: _Checker, items: Sequence[Any], prefix: str, rule_ids: set[str], today: dt.date
) -> tuple[AllowEntry, ...]:
    out: list[AllowEntry] = []
    seen: set[str] = set()
    for index, raw in enumerate(items):
        field = f"{prefix}.allowlist[{index}]"
        data = c.mapping(raw, field)
        if data is None:
            continue
        entry_id = c.rule_id(data, field, seen)
        rule = c.text(data, "rule", field)
        if rule and rule != "*" and rule not in rule_ids:
            c.add(f"{field}.rule", "the id of a screening rule or '*'", rule)
        value = c.text(data, "value", field)
        reason = c.text(data, "reason", field)
        raw_expiry = data.get("expires")
        expires = today
        if isinstance(raw_expiry, dt.date):
            expires = raw_expiry
        elif isinstance(raw_expiry, str):
            try:
                expires = dt.date.fromisoformat(raw_expiry)
            except ValueError:
                c.add(f"{field}.expires", "a date YYYY-MM-DD", raw_expiry)
        else:
            c.add(
                f"{field}.expires", "a date YYYY-MM-DD (allowlist entries must expire)", raw_expiry
            )
        if expires < today:
            c.add(f"{field}.expires", f"a date not before {today.isoformat()}", str(expires))
        out.append(AllowEntry(entry_id, rule, value, reason, expires))
    return tuple(out)


def _parse_limits(c: _Checker, raw: object, prefix: str) -> Limits:
    if raw is None:
        return Limits()
    field = f"{prefix}.limits"
    data = c.mapping(raw, field)
    if data is None:
        return Limits()
    default = Limits()
    known = set(Limits.__dataclass_fields__)
    for key in data:
        if key not in known:
            c.add(f"{field}.{key}", f"one of {', '.join(sorted(known))}", key)
    return Limits(
        **{
            name: c.integer(data, name, field, default=getattr(default, name), minimum=1)
            for name in known
        }
    )


_KNOWN_KEYS = {
    "version",
    "levels",
    "top_lines",
    "markings",
    "keyword_lists",
    "identifiers",
    "metadata",
    "allowlist",
    "limits",
}


def parse_screening_rules(
    data: Mapping[str, Any],
    *,
    file: str,
    field_prefix: str,
    line_of: LineOf,
    problems: list[Problem],
    today: dt.date | None = None,
) -> ScreeningRules:
    """Build :class:`ScreeningRules` from parsed YAML, appending a Problem for every mistake.

    The returned rules are only meaningful when no problem was appended.
    """
    c = _Checker(file, line_of, problems)
    prefix = field_prefix
    for key in data:
        if key not in _KNOWN_KEYS:
            c.add(f"{prefix}.{key}", f"one of {', '.join(sorted(_KNOWN_KEYS))}", key)
    version = c.integer(data, "version", prefix, default=1, minimum=1)
    raw_levels = c.sequence(data.get("levels"), f"{prefix}.levels")
    levels: list[str] = []
    for index, level in enumerate(raw_levels):
        if not isinstance(level, str) or not _LEVEL.match(level) or level in levels:
            c.add(f"{prefix}.levels[{index}]", "a new level name like mat or toi_mat", level)
            continue
        levels.append(level)
    level_names = tuple(levels)
    seen: set[str] = set()
    markings = _parse_markings(
        c, c.sequence(data.get("markings"), f"{prefix}.markings"), prefix, level_names, seen
    )
    keywords = _parse_keywords(
        c,
        c.sequence(data.get("keyword_lists"), f"{prefix}.keyword_lists"),
        prefix,
        level_names,
        seen,
    )
    identifiers = _parse_identifiers(
        c, c.sequence(data.get("identifiers"), f"{prefix}.identifiers"), prefix, seen
    )
    metadata = _parse_metadata(
        c, c.sequence(data.get("metadata"), f"{prefix}.metadata"), prefix, seen
    )
    allowlist = _parse_allowlist(
        c,
        c.sequence(data.get("allowlist"), f"{prefix}.allowlist"),
        prefix,
        seen,
        today or dt.date.today(),
    )
    if not markings:
        c.add(f"{prefix}.markings", "at least one marking rule", "none")
    return ScreeningRules(
        version=version,
        levels=level_names,
        top_lines=c.integer(data, "top_lines", prefix, default=12, minimum=1),
        markings=markings,
        keyword_lists=keywords,
        identifiers=identifiers,
        metadata=metadata,
        allowlist=allowlist,
        limits=_parse_limits(c, data.get("limits"), prefix),
    )


def load_screening_rules(path: str | Path, *, today: dt.date | None = None) -> ScreeningRules:
    """Read a stand-alone screening file (or a full policy's ``screening:`` section).

    Raises :class:`PolicyInvalid` listing every mistake.
    """
    file = str(path)
    problems: list[Problem] = []
    source = read_source(Path(path), problems)
    if source is None:
        raise PolicyInvalid(problems)
    data = source.data
    if not isinstance(data, Mapping):
        raise PolicyInvalid(
            [Problem(file, "(file)", "a mapping", type(data).__name__, source.line_of(""))]
        )
    prefix = ""
    if "screening" in data and isinstance(data["screening"], Mapping):
        section = data["screening"]
        include = section.get("include")
        if isinstance(include, str):
            return load_screening_rules(Path(path).parent / include, today=today)
        data, prefix = section, "screening"

    def line_of(field: str) -> int | None:
        return source.line_of(field if prefix else field.removeprefix("screening."))

    rules = parse_screening_rules(
        data,
        file=file,
        field_prefix="screening",
        line_of=line_of,
        problems=problems,
        today=today,
    )
    if problems:
        raise PolicyInvalid(problems)
    return rules
