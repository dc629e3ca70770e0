"""Scan one text part: normalise, find keyword/marking hits and identifiers, judge each hit.

Hot path (``fastscan``, Hyperscan): an NFKC quick-check, then, chunk by chunk, lower-casing,
one UTF-8 encoding and one pass over it for characters normalisation would change (the first
one stops it), loose stamp lines, spaced letters and number runs (real runs are rejoined in
their line at once) and every policy phrase. Full normalisation runs only when the alarm fires. Identifier parsing looks only at
runs of number characters that hold nine digits or more. Portable path (no Hyperscan): the
pyahocorasick automaton, the byte-class ``prefilter``, one number regex, one loose-stamp regex
and one loose field regex over the whole text; both paths give the same findings. Stamps with
their letters set apart that open a top line are looked for in those few lines only. Findings are located by line
with one incremental newline count over the sorted offsets.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import pickle
import re
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from multiprocessing import shared_memory

from clearance.screening.detectors.automaton import (
    TAG_DEGREE,
    TAG_FOLDED,
    TAG_KEYWORD,
    TAG_MARKING,
    TAG_PLATE_CONTEXT,
    Matcher,
    Payload,
    build_matcher,
    loose_keys,
    loose_line_ends,
    matcher_keys,
)
from clearance.screening.detectors.fastscan import FastMatcher, fast_matcher
from clearance.screening.detectors.hits import Hit
from clearance.screening.detectors.identifiers import (
    IdentifierMatch,
    find_dms,
    find_numbers,
    find_numbers_in_runs,
    find_plates,
)
from clearance.screening.detectors.lines import after_newlines
from clearance.screening.detectors.markings import (
    LOOSE_EDGE,
    compact,
    field_labels,
    judge_folded,
    judge_loose,
    judge_loose_fields,
    judge_loose_top,
    judge_marking,
)
from clearance.screening.detectors.realign import Realign
from clearance.screening.limits import Budget, Held
from clearance.screening.normalise import nfkc, normalise, rejoin_spaced
from clearance.screening.prefilter import classify, needs_cleaning, spaced_lines
from clearance.screening.rules import IdentifierKind, IdentifierRule, ScreeningRules
from clearance.screening.types import Finding, Severity
from clearance.settings import load_screening_settings

MAX_PER_RULE = 20
_EXCERPT = 40
_LONG_NUMBER = re.compile(r"[+0-9][0-9 .\-]{5,}[0-9]")
_DIGIT = re.compile(r"[0-9]")

_MATCHERS: dict[int, tuple[ScreeningRules, Matcher]] = {}
_FAST: dict[int, tuple[ScreeningRules, FastMatcher | None]] = {}
_USE_FAST = True  # tests switch it off to compare both paths
#: Characters from which a text is worth compiling the Hyperscan databases for (0.2 s of
#: compiling, what the portable path loses over some 4 MB of text, measured; a text past 1 M
#: characters is seldom alone): a process that only meets smaller texts (an OCR'd page, a
#: letter) scans them with the pyahocorasick automaton, built in 20 ms;
#: once compiled (a large text, or :func:`prepare_matchers` in a warm server) Hyperscan scans
#: every text. Both paths find the same (``tests/screening/test_fastscan.py``).
FAST_FROM_CHARS = 1_000_000


def matcher_for(rules: ScreeningRules) -> Matcher:
    """The pyahocorasick automaton of ``rules``, built once per rules object."""
    cached = _MATCHERS.get(id(rules))
    if cached is not None and cached[0] is rules:
        return cached[1]
    matcher = build_matcher(rules)
    if len(_MATCHERS) > 8:
        _MATCHERS.clear()
    _MATCHERS[id(rules)] = (rules, matcher)
    return matcher


def fast_matcher_for(rules: ScreeningRules, *, build: bool = True) -> FastMatcher | None:
    """The Hyperscan matcher of ``rules`` (None where unavailable), built once per rules object;
    with ``build`` False, only one already built (else None: the portable path runs)."""
    if not _USE_FAST:
        return None
    cached = _FAST.get(id(rules))
    if cached is not None and cached[0] is rules:
        return cached[1]
    if not build:
        return None
    matcher = fast_matcher(matcher_keys(rules), loose_keys(rules), field_labels(rules))
    if len(_FAST) > 8:
        _FAST.clear()
    _FAST[id(rules)] = (rules, matcher)
    return matcher


def prepare_matchers(rules: ScreeningRules) -> None:
    """Build both matchers of ``rules`` now (a warm server, before it forks its children)."""
    matcher_for(rules)
    fast_matcher_for(rules)


def _mask(text: str) -> str:
    """Keep the last three digits of every long number ("0905123456" -> "•••••••456")."""

    def hide(match: re.Match[str]) -> str:
        value = match.group(0)
        digits = sum(ch.isdigit() for ch in value)
        if digits < 7:
            return value
        keep = len(value)
        seen = 0
        for index in range(len(value) - 1, -1, -1):
            if value[index].isdigit():
                seen += 1
                if seen == 3:
                    keep = index
                    break
        return _DIGIT.sub("•", value[:keep]) + value[keep:]

    return _LONG_NUMBER.sub(hide, text)


def _renormalised(text: str) -> str | None:
    """The text with obfuscation undone, or None when the prefilter found nothing to undo.

    Invisible or confusable characters: the whole text is normalised (rare, adversarial input).
    Spaced letters only: just the lines holding a real run are rejoined, so an innocent
    "y y y" in a 50 MB text does not cost a full-text regex substitution.
    """
    classes = classify(text)
    if len(classes) != len(text) or needs_cleaning(text, classes):
        return normalise(text)
    lines = spaced_lines(text, classes)
    if not lines:
        return None
    pieces: list[str] = []
    position = 0
    for line_start, line_end in lines:
        pieces.append(text[position:line_start])
        pieces.append(rejoin_spaced(text[line_start:line_end]))
        position = line_end
    pieces.append(text[position:])
    return "".join(pieces)


def _has_context(lower: str, start: int, end: int, rule: IdentifierRule) -> bool:
    if not rule.context_words:
        return False
    window = lower[max(0, start - rule.window) : min(len(lower), end + rule.window // 2)]
    return any(word in window for word in rule.context_words)


def _identifier_hit(lower: str, match: IdentifierMatch, rule: IdentifierRule) -> Hit:
    context = _has_context(lower, match.start, match.end, rule)
    severity = rule.severity_with_context if context else rule.severity
    names = {
        IdentifierKind.CCCD: "a citizen identity number (CCCD)",
        IdentifierKind.CMND: "a 9-digit identity card number (CMND)",
        IdentifierKind.PHONE: "a phone number",
        IdentifierKind.PLATE: "a vehicle plate",
        IdentifierKind.COORDINATES: "geographic coordinates",
    }
    why = "context words nearby" if context else "no context word nearby"
    return Hit(
        rule.id,
        severity,
        f"Looks like {names[rule.kind]} ({why}).",
        match.start,
        match.end,
        "Personal data and locations are published only with a legal basis.",
        rule.reference,
        value=match.value,
        personal=rule.kind is not IdentifierKind.COORDINATES,
    )


def _hits(
    rules: ScreeningRules,
    raw: list[tuple[int, tuple[Payload, ...]]],
    text: str,
    lower: str,
    numbers: list[IdentifierMatch],
    loose: list[int],
    matcher: Matcher | FastMatcher,
) -> list[Hit]:
    original = text if len(text) == len(lower) else lower
    by_kind: dict[IdentifierKind, IdentifierRule] = {}
    for rule in rules.identifiers:
        by_kind.setdefault(rule.kind, rule)
    out: list[Hit] = []
    identifiers: list[IdentifierMatch] = []
    for end_incl, payloads in raw:
        end = end_incl + 1
        for tag, index, phrase in payloads:
            if tag == TAG_KEYWORD:
                start = end - len(phrase)
                before = lower[start - 1] if start > 0 else " "
                after = lower[end] if end < len(lower) else " "
                if before.isalnum() or after.isalnum():
                    continue
                keywords = rules.keyword_lists[index]
                out.append(
                    Hit(
                        keywords.id,
                        keywords.severity,
                        f"Phrase '{phrase}' from the list '{keywords.category}'.",
                        start,
                        end,
                        f"Listed by the policy under '{keywords.category}'.",
                        keywords.reference,
                        keywords.level,
                        value=phrase,
                    )
                )
            elif tag == TAG_MARKING:
                hit = judge_marking(
                    rules, rules.markings[index], phrase, lower, original, end - len(phrase), end
                )
                if hit is not None:
                    out.append(hit)
            elif tag == TAG_FOLDED:
                # NFC folding maps one character to one, so the variant has the phrase's length.
                hint = judge_folded(
                    rules, rules.markings[index], phrase, lower, original, end - len(phrase), end
                )
                if hint is not None:
                    out.append(hint)
            elif tag == TAG_DEGREE:
                identifiers.extend(find_dms(lower, end - 1, end))
            elif tag == TAG_PLATE_CONTEXT:
                identifiers.extend(find_plates(lower, end - len(phrase), end))
    loose_table, fields, field_re = matcher.loose, matcher.fields, matcher.field_re
    judged = -1
    fields_seen: set[tuple[str, int]] = set()
    for end in loose:  # ends of candidate lines (loose stamps, level fields), ascending
        line_start = lower.rfind("\n", 0, max(0, end - 1)) + 1
        if line_start == judged:
            continue
        judged = line_start
        line_end = lower.find("\n", line_start)
        line_end = len(lower) if line_end < 0 else line_end
        spellings = loose_table.get(compact(lower[line_start:line_end].strip(LOOSE_EDGE)), ())
        for index, phrase in spellings:
            hit = judge_loose(rules, rules.markings[index], phrase, lower, original, line_end)
            if hit is not None:
                out.append(hit)
        if field_re is not None:
            # The line before and after too: a field's value may follow its label on the next
            # line, and a candidate may stand in the label or at the value's end.
            low = lower.rfind("\n", 0, max(0, line_start - 1)) + 1
            high = lower.find("\n", min(len(lower), line_end + 1))
            high = len(lower) if high < 0 else high
            for hit in judge_loose_fields(rules, field_re, fields, lower, original, low, high):
                if (hit.rule, hit.start) not in fields_seen:
                    fields_seen.add((hit.rule, hit.start))
                    out.append(hit)
    out.extend(judge_loose_top(rules, matcher.top_re, loose_table, lower, original))
    identifiers.extend(numbers)
    seen: set[tuple[int, int]] = set()
    for match in identifiers:
        id_rule = by_kind.get(match.kind)
        if id_rule is None or (match.start, match.end) in seen:
            continue
        seen.add((match.start, match.end))
        out.append(_identifier_hit(lower, match, id_rule))
    return out


def _allowed(rules: ScreeningRules, hit: Hit) -> bool:
    for entry in rules.allowlist:
        if entry.rule not in (hit.rule, "*"):
            continue
        if hit.personal:
            if "".join(_DIGIT.findall(entry.value)) == hit.value.lstrip("+"):
                return True
        elif entry.value.lower() == hit.value.lower():
            return True
    return False


def _scan_hits(text: str, rules: ScreeningRules, budget: Budget | None) -> tuple[list[Hit], str]:
    """The allowed-out hits of ``text`` and the normalised text their offsets refer to."""
    text = nfkc(text)
    fast = fast_matcher_for(rules, build=len(text) >= FAST_FROM_CHARS)
    if fast is not None:
        text, lower, found = fast.lower_and_prescan(text)
        if found.alarm:  # the prescan stopped there: normalise everything, scan again
            text = normalise(text)
            text, lower, found = fast.lower_and_prescan(text, stop_on_alarm=False, rejoin=False)
        raw = found.keywords
        numbers = find_numbers_in_runs(lower, found.number_ends)
        loose = found.loose_ends
        judges: Matcher | FastMatcher = fast
    else:
        cleaned = _renormalised(text)
        if cleaned is not None:
            text = cleaned
        lower = text.lower()
        matcher = matcher_for(rules)
        raw = matcher.hits(lower)
        loose = loose_line_ends(matcher.loose_re, lower, matcher.field_re)
        numbers = find_numbers(lower)
        judges = matcher
    if budget is not None:
        budget.check()
    found_hits = _hits(rules, raw, text, lower, numbers, loose, judges)
    hits = [hit for hit in found_hits if not _allowed(rules, hit)]
    if budget is not None:
        budget.check()
    return hits, text if len(text) == len(lower) else lower


def scan_text(
    text: str, rules: ScreeningRules, *, part: str, budget: Budget | None = None
) -> list[Finding]:
    """Every finding in ``text``, located in ``part`` by line, excerpts masked."""
    if len(text) >= PARALLEL_MIN_CHARS and _workers() > 0 and text.count("\n", 0, 1_000_000):
        return _scan_parallel(text, rules, part, budget)
    return _one_pass(text, rules, part, budget)


def _one_pass(text: str, rules: ScreeningRules, part: str, budget: Budget | None) -> list[Finding]:
    hits, located = _scan_hits(text, rules, budget)
    findings, counts = _locate(hits, located, part, realign=Realign(text, located))
    return findings + _summaries(counts, part)


Counts = Counter[tuple[str, Severity]]


def _locate(
    hits: list[Hit],
    text: str,
    part: str,
    *,
    line_offset: int = 0,
    realign: Realign | None = None,
    keep: tuple[int, int] | None = None,
) -> tuple[list[Finding], Counts]:
    """Findings of the first :data:`MAX_PER_RULE` hits per rule and severity (those starting
    inside ``keep`` when given), in text order, and how many hits each rule had. Each finding
    carries its offsets in the text as given, mapped back by ``realign`` (none without it, or
    where the normalised line could not be traced back)."""
    hits.sort(key=lambda hit: (hit.start, hit.rule))
    counts: Counts = Counter()
    findings: list[Finding] = []
    line = 1 + line_offset
    position = 0
    for hit in hits:
        if keep is not None and not keep[0] <= hit.start < keep[1]:
            continue
        counts[hit.rule, hit.severity] += 1
        if counts[hit.rule, hit.severity] > MAX_PER_RULE:
            continue
        line += text.count("\n", position, hit.start)
        position = hit.start
        excerpt = " ".join(
            text[max(0, hit.start - _EXCERPT) : min(len(text), hit.end + _EXCERPT)].split()
        )
        span = None if realign is None else realign.span(hit.start, hit.end, line - 1 - line_offset)
        findings.append(
            Finding(
                rule=hit.rule,
                severity=hit.severity,
                message=hit.message,
                part=part,
                location=f"line {line}",
                excerpt=_mask(excerpt),
                explanation=hit.explanation,
                reference=hit.reference,
                level=hit.level,
                start=None if span is None else span[0],
                end=None if span is None else span[1],
            )
        )
    return findings, counts


def _summaries(counts: Counts, part: str) -> list[Finding]:
    return [
        Finding(
            rule=rule,
            severity=Severity.INFO,
            message=f"{count - MAX_PER_RULE} more occurrences of this rule not listed.",
            part=part,
        )
        for (rule, _severity), count in sorted(counts.items())
        if count > MAX_PER_RULE
    ]


# Large texts are screened in two halves on the target machine's two cores: the second half in
# a worker process created once. The halves overlap by OVERLAP characters (more than every
# context window: excerpts 40, identifier context 60, decision reference 300, top of document
# 4,000), are cut at line starts, and each keeps only the hits that start in its own half, so
# the findings are those of one pass (``tests/screening/test_parallel.py`` compares them).
PARALLEL_MIN_CHARS = 4_000_000
# The main process's share of the text: a little less than half, because it also encodes and
# copies the worker's part, counts lines and merges the findings (balanced on CPU seconds).
MAIN_SHARE = 0.45
OVERLAP = 8_192
_POOL: list[ProcessPoolExecutor] = []
_POOL_LOCK = threading.Lock()
_TOKENS: dict[int, tuple[ScreeningRules, str]] = {}
_WORKER_RULES: dict[str, ScreeningRules] = {}


def _workers() -> int:
    """Worker processes for large texts: 1 on a machine with two cores or more (the target
    machine has two), 0 to disable (``CLEARANCE_SCREENING_WORKERS=0``)."""
    return load_screening_settings().text_worker_count()


def _pool() -> ProcessPoolExecutor:
    with _POOL_LOCK:
        if not _POOL:
            context = multiprocessing.get_context("spawn")  # never fork a threaded server
            _POOL.append(ProcessPoolExecutor(max_workers=1, mp_context=context))
        return _POOL[0]


def _token(rules: ScreeningRules) -> str:
    cached = _TOKENS.get(id(rules))
    if cached is not None and cached[0] is rules:
        return cached[1]
    token = hashlib.sha256(pickle.dumps(rules)).hexdigest()
    _TOKENS[id(rules)] = (rules, token)
    return token


def _half(
    text: str, rules: ScreeningRules, part: str, keep: tuple[int, int | None],
    lines: tuple[int, int | None], line_offset: int, budget: Budget | None,
    char_offset: int = 0,
) -> tuple[list[Finding], Counts]:  # fmt: skip
    """Findings of the hits from ``keep[0]`` to ``keep[1]`` (indices into ``text``, None for its
    end), which are the starts of line ``lines[0]`` and ``lines[1]``. When normalisation changed
    the text's length, the bounds are found again by counting lines in the normalised text."""
    hits, located = _scan_hits(text, rules, budget)
    if located is text:
        low, high = keep[0], len(text) + 1 if keep[1] is None else keep[1]
    else:
        low = after_newlines(located, lines[0])
        high = len(located) + 1 if lines[1] is None else after_newlines(located, lines[1])
    return _locate(
        hits,
        located,
        part,
        line_offset=line_offset,
        realign=Realign(text, located, char_offset),
        keep=(low, high),
    )


def _worker_half(
    name: str, size: int, token: str, rules: ScreeningRules, part: str, keep_from: int,
    skip_lines: int, line_offset: int, char_offset: int = 0,
) -> tuple[list[Finding], Counts]:  # fmt: skip  # pragma: no cover - runs in the worker process
    """The second half, read as UTF-16-LE from shared memory: one copy in, one decoding out
    (through a pipe it costs the worker three times as much CPU, measured)."""
    cached = _WORKER_RULES.setdefault(token, rules)
    shared = shared_memory.SharedMemory(name=name)
    try:
        assert shared.buf is not None  # typeshed: None only after close()
        view = shared.buf[:size]
        try:
            text = str(view, "utf-16-le", "surrogatepass")
        finally:
            view.release()
    finally:
        shared.close()
    return _half(
        text, cached, part, (keep_from, None), (skip_lines, None), line_offset, None, char_offset
    )


def _scan_parallel(
    text: str, rules: ScreeningRules, part: str, budget: Budget | None
) -> list[Finding]:
    split = text.find("\n", int(len(text) * MAIN_SHARE)) + 1
    if split <= 0 or split >= len(text):
        return _one_pass(text, rules, part, budget)
    second_start = text.rfind("\n", 0, max(0, split - OVERLAP)) + 1
    skip = text.count("\n", second_start, split)
    offset = text.count("\n", 0, second_start)
    wide = text[second_start:].encode("utf-16-le", "surrogatepass")
    try:
        shared = shared_memory.SharedMemory(create=True, size=max(1, len(wide)))
    except OSError:  # no shared memory here (/dev/shm missing or full): one pass instead
        del wide
        return _one_pass(text, rules, part, budget)
    try:
        assert shared.buf is not None  # typeshed: None only after close()
        shared.buf[: len(wide)] = wide
        future = _pool().submit(
            _worker_half, shared.name, len(wide), _token(rules), rules, part,
            split - second_start, skip, offset, second_start,
        )  # fmt: skip
        del wide
        first_end = text.find("\n", min(len(text), split + OVERLAP))
        first = text[: len(text) if first_end < 0 else first_end + 1]
        keep_lines = offset + skip  # the newlines before ``split``
        findings, counts = _half(first, rules, part, (0, split), (0, keep_lines), 0, budget)
        remaining = None if budget is None else max(0.0, budget.deadline - time.monotonic())
        try:
            more, more_counts = future.result(timeout=remaining)
        except FuturesTimeout:
            raise Held(
                f"screening took longer than {budget.limits.max_seconds if budget else '?'} s"
            ) from None
    finally:
        shared.close()
        shared.unlink()  # a worker still reading keeps its mapping
    per_key: Counts = Counter()
    merged: list[Finding] = []
    for finding in findings:
        per_key[finding.rule, finding.severity] += 1
        merged.append(finding)
    for finding in more:
        per_key[finding.rule, finding.severity] += 1
        if per_key[finding.rule, finding.severity] <= MAX_PER_RULE:
            merged.append(finding)
    return merged + _summaries(counts + more_counts, part)
