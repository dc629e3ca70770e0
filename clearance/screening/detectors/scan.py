"""Scan one text part: normalise, find keyword/marking hits and identifiers, judge each hit.

Hot path (``fastscan``, Hyperscan): an NFKC quick-check, one ``str.lower()``, one UTF-8
encoding, a stop-at-first scan for characters normalisation would change, one class-byte pass
for spaced letters and number runs, one literal scan for every policy phrase. Full
normalisation runs only when the alarm fires; spaced letters are rejoined only in the lines
that hold a real run. Identifier parsing looks only at runs of number characters that hold
nine digits or more. Portable path (no Hyperscan): the pyahocorasick automaton, the byte-class
``prefilter`` and one number regex over the whole text; both paths give the same findings.
Findings are located by line with one incremental newline count over the sorted offsets.
"""

from __future__ import annotations

import re
from collections import Counter

from clearance.screening.detectors.automaton import (
    TAG_DEGREE,
    TAG_FOLDED,
    TAG_KEYWORD,
    TAG_MARKING,
    TAG_PLATE_CONTEXT,
    Matcher,
    Payload,
    build_matcher,
    matcher_keys,
)
from clearance.screening.detectors.fastscan import FastMatcher, FastScan, fast_matcher
from clearance.screening.detectors.hits import Hit
from clearance.screening.detectors.identifiers import (
    IdentifierMatch,
    find_dms,
    find_numbers,
    find_numbers_in_runs,
    find_plates,
)
from clearance.screening.detectors.markings import judge_folded, judge_marking
from clearance.screening.limits import Budget
from clearance.screening.normalise import has_spaced_run, nfkc, normalise, rejoin_spaced
from clearance.screening.prefilter import classify, needs_cleaning, spaced_lines
from clearance.screening.rules import IdentifierKind, IdentifierRule, ScreeningRules
from clearance.screening.types import Finding, Severity

MAX_PER_RULE = 20
_EXCERPT = 40
_LONG_NUMBER = re.compile(r"[+0-9][0-9 .\-]{5,}[0-9]")
_DIGIT = re.compile(r"[0-9]")

_MATCHERS: dict[int, tuple[ScreeningRules, Matcher]] = {}
_FAST: dict[int, tuple[ScreeningRules, FastMatcher | None]] = {}
_USE_FAST = True  # tests switch it off to compare both paths


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


def fast_matcher_for(rules: ScreeningRules) -> FastMatcher | None:
    """The Hyperscan matcher of ``rules`` (None where unavailable), built once per rules object."""
    if not _USE_FAST:
        return None
    cached = _FAST.get(id(rules))
    if cached is not None and cached[0] is rules:
        return cached[1]
    matcher = fast_matcher(matcher_keys(rules))
    if len(_FAST) > 8:
        _FAST.clear()
    _FAST[id(rules)] = (rules, matcher)
    return matcher


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


_Renormalised = tuple[str, str, list[tuple[int, int, int]] | None]


def _renormalised_fast(text: str, lower: str, found: FastScan) -> _Renormalised | None:
    """:func:`_renormalised` from what the fast prescan reported: (text, lower, shifts) or None.

    Only the lines holding a real run of spaced letters are rejoined and lower-cased again;
    ``shifts`` lists (old start, old end of a rejoined line, change in length), None after a full
    normalisation (everything must be scanned again).
    """
    if found.alarm or len(lower) != len(text):
        cleaned = normalise(text)
        return (cleaned, cleaned.lower(), None) if cleaned != text else None
    texts: list[str] = []
    lowers: list[str] = []
    shifts: list[tuple[int, int, int]] = []
    position = 0
    for end in found.spaced_ends:
        if end <= position or not has_spaced_run(text, max(0, end - 8), end):
            continue
        line_start = text.rfind("\n", 0, end - 1) + 1
        line_end = text.find("\n", end - 1)
        line_end = len(text) if line_end < 0 else line_end
        if line_start < position:
            continue
        joined = rejoin_spaced(text[line_start:line_end])
        joined_lower = joined.lower()
        if len(joined_lower) != len(joined):
            cleaned = normalise(text)
            return cleaned, cleaned.lower(), None
        texts += [text[position:line_start], joined]
        lowers += [lower[position:line_start], joined_lower]
        shifts.append((line_start, line_end, len(joined) - (line_end - line_start)))
        position = line_end
    if not texts:
        return None
    texts.append(text[position:])
    lowers.append(lower[position:])
    return "".join(texts), "".join(lowers), shifts


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
                hint = judge_folded(rules.markings[index], phrase, lower, end - len(phrase), end)
                if hint is not None:
                    out.append(hint)
            elif tag == TAG_DEGREE:
                identifiers.extend(find_dms(lower, end - 1, end))
            elif tag == TAG_PLATE_CONTEXT:
                identifiers.extend(find_plates(lower, end - len(phrase), end))
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


def scan_text(
    text: str, rules: ScreeningRules, *, part: str, budget: Budget | None = None
) -> list[Finding]:
    """Every finding in ``text``, located in ``part`` by line, excerpts masked."""
    text = nfkc(text)
    fast = fast_matcher_for(rules)
    if fast is not None:
        lower = text.lower()
        found = fast.prescan(lower)
        if found.alarm or found.spaced_ends:
            renormalised = _renormalised_fast(text, lower, found)
            if renormalised is not None:
                text, lower, shifts = renormalised
                if shifts is None:
                    found = fast.prescan(lower)
                else:
                    found = fast.reencode(found, lower, shifts)
        raw = fast.keyword_hits(lower, found.encoded)
        numbers = find_numbers_in_runs(lower, found.number_ends)
    else:
        cleaned = _renormalised(text)
        if cleaned is not None:
            text = cleaned
        lower = text.lower()
        raw = matcher_for(rules).hits(lower)
        numbers = find_numbers(lower)
    if budget is not None:
        budget.check()
    hits = [hit for hit in _hits(rules, raw, text, lower, numbers) if not _allowed(rules, hit)]
    if budget is not None:
        budget.check()
    return _to_findings(hits, text if len(text) == len(lower) else lower, part)


def _to_findings(hits: list[Hit], text: str, part: str) -> list[Finding]:
    hits.sort(key=lambda hit: (hit.start, hit.rule))
    counts: Counter[tuple[str, Severity]] = Counter()
    findings: list[Finding] = []
    line = 1
    position = 0
    for hit in hits:
        counts[hit.rule, hit.severity] += 1
        if counts[hit.rule, hit.severity] > MAX_PER_RULE:
            continue
        line += text.count("\n", position, hit.start)
        position = hit.start
        excerpt = " ".join(
            text[max(0, hit.start - _EXCERPT) : min(len(text), hit.end + _EXCERPT)].split()
        )
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
            )
        )
    for (rule, _severity), count in sorted(counts.items()):
        if count > MAX_PER_RULE:
            findings.append(
                Finding(
                    rule=rule,
                    severity=Severity.INFO,
                    message=f"{count - MAX_PER_RULE} more occurrences of this rule not listed.",
                    part=part,
                )
            )
    return findings
