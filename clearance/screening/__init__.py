"""State-secret screening: every part of every file, obfuscation-proof, explainable, fail-closed.

Public API::

    from clearance.screening import (
        screen_file, screen_text, combine, load_screening_rules, parse_screening_rules,
        ScreeningRules, FileResult, Finding, Verdict, Severity,
    )

    screen_file(data: bytes, filename: str, rules: ScreeningRules, *,
                allowed_types: frozenset[str] | None = None) -> FileResult
    screen_file_isolated(data, filename, rules, *, allowed_types=None, timeout=None,
                         memory_bytes=2 GiB) -> FileResult   # child process: hard time/memory guard
    screen_text(text: str, rules: ScreeningRules, *, part: str = "text") -> FileResult
    combine(results: Iterable[FileResult]) -> Verdict

``FileResult.to_json()`` gives ``{"verdict", "detected_type", "level", "held_reason",
"sanitized_type", "findings": [{"rule", "severity", "message", "part", "location", "excerpt",
"explanation", "reference", "level"}], "coverage": [{"part", "method", "chars", "pixels"}]}``:
every part read is in ``coverage``; every part not read is a ``screening.uninspected`` finding
(severity review), so ``clear`` means everything a reader can see was read. ``FileResult.sanitized`` holds the derivative to approve
and publish (None: the original bytes need no change, or the file is blocked/held).

Layout: ``rules`` (policy schema), ``types`` (results), ``normalise``, ``detectors/`` (automaton,
markings, identifiers, scan), ``extract/`` (one module per format), ``sanitise/`` (one per
format), ``filetype`` (libmagic), ``limits`` (budget, held/refused), ``engine`` (the pipeline).
"""

from clearance.screening.engine import screen_file, screen_text
from clearance.screening.isolated import screen_file_isolated
from clearance.screening.rules import ScreeningRules, load_screening_rules, parse_screening_rules
from clearance.screening.types import FileResult, Finding, Severity, Verdict, combine

__all__ = [
    "FileResult",
    "Finding",
    "ScreeningRules",
    "Severity",
    "Verdict",
    "combine",
    "load_screening_rules",
    "parse_screening_rules",
    "screen_file",
    "screen_file_isolated",
    "screen_text",
]
