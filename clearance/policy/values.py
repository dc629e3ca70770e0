"""The loaded policy as frozen values: levels, channels, chains, stages, references."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from clearance.approval.chain import Chain
from clearance.errors import BadInput
from clearance.screening.rules import ScreeningRules

#: The three state-secret levels of Law 117/2025/QH15, lowest first. Never publishable.
STATE_SECRET_LEVELS = ("mat", "toi_mat", "tuyet_mat")

#: Publisher adapters the pipeline provides (``clearance.publishing``).
KNOWN_ADAPTERS = frozenset({"website", "directory", "webhook"})


@dataclass(frozen=True, slots=True)
class Reference:
    """A legal or administrative source a rule rests on; ``verified`` is False when the wording
    could not be checked against the official text."""

    id: str
    title: str
    verified: bool
    url: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Level:
    name: str
    rank: int
    label_vi: str
    label_en: str
    publishable: bool
    state_secret: bool
    chain: str | None
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class Publisher:
    adapter: str
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Channel:
    name: str
    label_vi: str
    levels: frozenset[str]
    file_types: frozenset[str]
    publisher: Publisher
    #: the lowest level anything sent to this channel is classified at (None: no floor)
    implies_level: str | None = None
    reference: str | None = None

    def allows_file_type(self, mime: str) -> bool:
        return mime.split(";", 1)[0].strip().lower() in self.file_types


@dataclass(frozen=True, slots=True)
class Theme:
    """A theme (chủ đề) of the plan in force that an item can be tagged with."""

    id: str
    label_vi: str
    label_en: str | None = None


@dataclass(frozen=True, slots=True)
class Language:
    """A language an item (or a language version of it) may be written in (ISO 639-1)."""

    code: str
    label_vi: str
    label_en: str | None = None


#: what a policy without a ``languages`` section accepts (policies stored before themes)
VIETNAMESE = Language("vi", "Tiếng Việt", "Vietnamese")


@dataclass(frozen=True, slots=True)
class Metadata:
    version: str
    effective_date: date
    title: str
    issuer: str
    legal_basis: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Policy:
    """A validated policy. Build it with ``load_policy`` or ``policy_from_document``."""

    content_hash: str
    metadata: Metadata
    levels: tuple[Level, ...]
    channels: Mapping[str, Channel]
    chains: Mapping[str, Chain]
    signoff_roles: Mapping[str, str]
    references: Mapping[str, Reference]
    #: the screening section, parsed by the screening engine
    screening: ScreeningRules
    #: the resolved document (includes inlined) exactly as hashed
    document: Mapping[str, Any]
    source: str
    #: the themes of the plan in force, in the policy's order (none in older policies)
    themes: Mapping[str, Theme] = field(default_factory=dict)
    #: the accepted languages, the first one the default of a submission
    languages: Mapping[str, Language] = field(default_factory=lambda: {"vi": VIETNAMESE})

    @property
    def version(self) -> str:
        return self.metadata.version

    @property
    def effective_date(self) -> date:
        return self.metadata.effective_date

    def level(self, name: str) -> Level:
        for level in self.levels:
            if level.name == name:
                return level
        known = ", ".join(level.name for level in self.levels)
        raise BadInput(f"unknown level {name!r}; the policy defines {known}")

    def has_level(self, name: str) -> bool:
        return any(level.name == name for level in self.levels)

    def channel(self, name: str) -> Channel:
        try:
            return self.channels[name]
        except KeyError:
            known = ", ".join(sorted(self.channels))
            raise BadInput(f"unknown channel {name!r}; the policy defines {known}") from None

    def accepted_file_types(self, channels: Sequence[str]) -> frozenset[str]:
        """The file types every one of ``channels`` accepts (what an attachment may be)."""
        sets = [self.channel(name).file_types for name in channels]
        return frozenset.intersection(*sets) if sets else frozenset()

    def chain_for(self, level: str) -> Chain | None:
        """The sign-off chain of ``level``; None when the level can never be published."""
        found = self.level(level)
        return self.chains[found.chain] if found.chain is not None else None

    def highest_level(self) -> Level:
        return self.levels[-1]

    @property
    def default_language(self) -> str:
        return next(iter(self.languages))

    def checked_themes(self, names: Iterable[str]) -> tuple[str, ...]:
        """``names`` as the policy's theme ids, in the policy's order, each once; an unknown one
        is refused with code ``unknown_theme``."""
        wanted = {name.strip() for name in names}
        for name in sorted(wanted):
            if name not in self.themes:
                known = ", ".join(self.themes) or "none (the policy declares no themes)"
                raise BadInput(
                    f"unknown theme {name!r}; the policy in force declares {known}",
                    code="unknown_theme",
                    params={"theme": name[:80]},
                )
        return tuple(theme for theme in self.themes if theme in wanted)

    def checked_language(self, code: str) -> str:
        """``code`` when the policy accepts it; refused with code ``unknown_language``."""
        code = code.strip()
        if code not in self.languages:
            known = ", ".join(self.languages)
            raise BadInput(
                f"language {code!r} is not accepted; the policy in force accepts {known}",
                code="unknown_language",
                params={"language": code[:80]},
            )
        return code

    def language_label(self, code: str) -> str:
        found = self.languages.get(code)
        return found.label_vi if found is not None else code

    def theme_label(self, name: str) -> str:
        found = self.themes.get(name)
        return found.label_vi if found is not None else name

    def signoff_role_label(self, name: str) -> str:
        """A sign-off role by its Vietnamese label (its id when the policy has none)."""
        return self.signoff_roles.get(name) or name

    def stage_label(self, stage_id: str) -> str:
        """A stage by its Vietnamese label: stage ids are shared by the chains, so the first
        chain's label for it (its id when no chain has the stage)."""
        for chain in self.chains.values():
            for stage in chain.stages:
                if stage.id == stage_id:
                    return stage.label_vi
        return stage_id
