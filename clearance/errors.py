"""One error base class and a few subclasses; every adapter maps them in one place.

- ``BadInput``: the caller gave something malformed or missing (CLI exit 2, HTTP 400).
- ``NotFound``: the thing named does not exist (CLI exit 2, HTTP 404).
- ``PolicyRefusal``: the request is well-formed but the rules forbid it (CLI exit 1, HTTP 403/409).
- ``VerificationError``: a signature, hash or proof does not hold (CLI exit 1).
- ``ConfigurationError``: the installation is not set up to do this (CLI exit 2, HTTP 500).

Every message is one sentence naming what is wrong and what to do. An error a user can meet
also carries a stable ``code`` (``"area.what"``, never reworded) and the ``params`` its message
names, so an adapter can say it in the user's language (the web UI: ``webapp/errors.py``);
``str(exc)`` stays the English message (the CLI, the logs).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: the value types a parameter may have (what a translated message can format)
Param = str | int


class ClearanceError(Exception):
    """Base class of every error Clearance raises on purpose."""

    exit_code: int = 2
    #: a stable code (a subclass may fix it) and its parameters, so an adapter renders the
    #: message in its language; the English ``message`` stays the CLI's and the log's
    code: str | None = None

    def __init__(
        self, message: str, *, code: str | None = None, params: Mapping[str, Param] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.params: dict[str, Param] = dict(params or {})

    def __str__(self) -> str:
        return self.message


class BadInput(ClearanceError):
    """The input is malformed, missing or out of bounds."""

    exit_code = 2


class NotFound(BadInput):
    """The named object does not exist."""

    exit_code = 2


class PolicyRefusal(ClearanceError):
    """The request is well-formed but the state machine or the policy forbids it."""

    exit_code = 1


class IllegalTransition(PolicyRefusal):
    """The item's state does not allow the requested transition."""


class NotPermitted(PolicyRefusal):
    """The actor lacks the role or ownership the action needs (HTTP 403; CLI exit 2)."""

    exit_code = 2


class Conflict(PolicyRefusal):
    """The object changed under the caller (stale revision, duplicate decision)."""


class VerificationError(ClearanceError):
    """A signature, hash, proof or recorded rule does not hold."""

    exit_code = 1


class ConfigurationError(ClearanceError):
    """The installation is missing something it needs (secrets, keys, system libraries)."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake in a policy file: where it is, what was expected, what was found."""

    file: str
    field: str
    expected: str
    found: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.field}: expected {self.expected}, found {self.found}"


class PolicyInvalid(BadInput):
    """A policy file failed validation; ``problems`` lists every mistake found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        first = str(self.problems[0]) if self.problems else "no details"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(f"The policy is invalid: {first}{more}; fix the file and check it again.")
