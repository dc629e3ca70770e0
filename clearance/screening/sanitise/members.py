"""What a container's derivative is built from: each member's own derivative, or why it is left out.

A ZIP archive or an e-mail message is rebuilt from its members as the engine screened them, each
by the sanitiser a top-level file of its type gets (:mod:`..sanitise.archive`,
:mod:`..sanitise.mail`). A member left out carries the reason, which the finding names: a member
that is not in the derivative is *lost* (the published file would not hold everything the
original does), and a lost member holds the container for review whatever else was found.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Member:
    """One member as it goes into its container's derivative: ``data`` is the member's own
    sanitised derivative (``None``: left out, ``reason`` says why), ``mime`` its type."""

    name: str
    data: bytes | None
    mime: str | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Rebuilt:
    """A container's derivative and what it leaves out (each named in a finding): ``dropped``
    what a sanitiser removes on purpose (headers, preambles: an info finding), ``lost`` the
    members it could not keep (each a review finding: never ``clear``)."""

    data: bytes
    dropped: tuple[str, ...] = ()
    lost: tuple[str, ...] = ()
