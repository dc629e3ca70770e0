"""Load and validate a policy file (schema: ``docs/policy.md``) into a :class:`Policy`.

Every mistake an administrator could make is collected as a :class:`Problem` and raised together
as :class:`PolicyInvalid`; nothing half-valid is ever returned.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from clearance.approval import AllOf, AnyOf, Chain, Eligibility, Quorum, Rule, Stage, StageCondition
from clearance.canonical import canonical_hash
from clearance.domain.roles import Role
from clearance.errors import PolicyInvalid, Problem
from clearance.policy.languages import ISO_639_1
from clearance.policy.reader import Reader, describe
from clearance.policy.values import (
    KNOWN_ADAPTERS,
    STATE_SECRET_LEVELS,
    VIETNAMESE,
    Channel,
    Language,
    Level,
    Metadata,
    Policy,
    Publisher,
    Reference,
    Theme,
)
from clearance.screening.rules import ScreeningRules, parse_screening_rules
from clearance.yamlsource import Source, join, read_source, to_json_value

TOP_KEYS = (
    "metadata",
    "references",
    "signoff_roles",
    "levels",
    "chains",
    "channels",
    "themes",
    "languages",
    "screening",
)
MIME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
SECRET_WORDS = ("secret", "password", "token", "key", "credential")
MAX_DEADLINE_HOURS = 24 * 365
REQUIREMENT_KEYS = ("roles", "units", "same_unit", "quorum", "of", "all_of", "any_of")
STAGE_KEYS = (
    "id",
    "label_vi",
    "label_en",
    "deadline_hours",
    "when",
    "reference",
    *REQUIREMENT_KEYS,
)


def load_policy(path: str | Path, *, today: date | None = None) -> Policy:
    """Read, resolve (``screening: {include: FILE}``), validate and hash the policy at ``path``.

    ``today`` (default: the current date) decides which screening allowlist entries have expired.
    Raises ``PolicyInvalid`` listing every problem found.
    """
    policy_path = Path(path)
    problems: list[Problem] = []
    source = read_source(policy_path, problems)
    if source is None:
        raise PolicyInvalid(problems)
    return _build_policy(source, problems, include_base=policy_path.parent, today=today)


def policy_from_document(document: Mapping[str, Any], *, source: str = "(stored policy)") -> Policy:
    """Rebuild a policy from its resolved document (as stored in ``policy_versions`` or carried
    in a ``policy.loaded`` event); the hash is recomputed, includes are refused. Allowlist expiry
    is judged at the policy's effective date, so a policy that was valid when loaded stays
    loadable for the items that started under it."""
    problems: list[Problem] = []
    effective: date | None = None
    meta = document.get("metadata")
    if isinstance(meta, Mapping) and isinstance(meta.get("effective_date"), str):
        try:
            effective = date.fromisoformat(meta["effective_date"])
        except ValueError:
            effective = None
    return _build_policy(
        Source(source, dict(document), {}), problems, include_base=None, today=effective
    )


def _build_policy(
    source: Source, problems: list[Problem], include_base: Path | None, today: date | None
) -> Policy:
    reader = Reader(source, problems)
    top = reader.mapping(source.data, "", allowed=TOP_KEYS)
    for key in ("metadata", "levels", "chains", "channels", "signoff_roles", "references"):
        if key not in top:
            reader.problem(key, f"a {key} section", "nothing")
    references = _references(reader, top.get("references"))
    metadata = _metadata(reader, top.get("metadata"), references)
    roles = _signoff_roles(reader, top.get("signoff_roles"))
    chains = _chains(reader, top.get("chains"), roles, references)
    declared_chains = set(top["chains"]) if isinstance(top.get("chains"), dict) else set()
    levels = _levels(reader, top.get("levels"), declared_chains, references)
    channels = _channels(reader, top.get("channels"), levels, references)
    themes = _themes(reader, top.get("themes"))
    languages = _languages(reader, top.get("languages"))
    screening_data, screening = _screening(reader, top.get("screening"), include_base, today)
    _check_screening_levels(reader, screening, levels)
    if problems:
        raise PolicyInvalid(problems)
    document = dict(top)
    if screening_data is not None:
        document["screening"] = screening_data
    document = to_json_value(document)
    assert metadata is not None and screening is not None
    return Policy(
        content_hash=canonical_hash(document),
        metadata=metadata,
        levels=tuple(levels.values()),
        channels=channels,
        chains=chains,
        signoff_roles=roles,
        references=references,
        screening=screening,
        document=document,
        source=source.file,
        themes=themes,
        languages=languages,
    )


def _references(reader: Reader, value: Any) -> dict[str, Reference]:
    found: dict[str, Reference] = {}
    for index, raw in enumerate(reader.items(value, "references")):
        path = join("references", index)
        entry = reader.mapping(raw, path, allowed=("id", "title", "verified", "url", "note"))
        ref_id = reader.name(entry.get("id"), join(path, "id")) if entry else None
        title = reader.text(entry, "title", path) if entry else None
        verified = reader.boolean(entry, "verified", path) if entry else None
        url = reader.text(entry, "url", path, required=False) if entry else None
        note = reader.text(entry, "note", path, required=False) if entry else None
        if ref_id is None or title is None or verified is None:
            continue
        if ref_id in found:
            reader.problem(join(path, "id"), "a reference id used once", f"{ref_id!r} again")
            continue
        if not verified and note is None:
            reader.problem(
                join(path, "note"), "a note saying what could not be verified", "nothing"
            )
        found[ref_id] = Reference(ref_id, title, verified, url, note)
    return found


def _reference(
    reader: Reader, data: dict[str, Any], path: str, references: Mapping[str, Reference]
) -> str | None:
    value = data.get("reference")
    if value is None:
        return None
    if not isinstance(value, str) or value not in references:
        known = ", ".join(sorted(references)) or "none defined"
        reader.problem(join(path, "reference"), f"a reference id ({known})", describe(value))
        return None
    return value


def _metadata(reader: Reader, value: Any, references: Mapping[str, Reference]) -> Metadata | None:
    allowed = ("version", "effective_date", "title", "issuer", "legal_basis")
    data = reader.mapping(value, "metadata", allowed=allowed)
    if not data:
        return None
    version = reader.text(data, "version", "metadata")
    effective = reader.day(data, "effective_date", "metadata")
    title = reader.text(data, "title", "metadata")
    issuer = reader.text(data, "issuer", "metadata")
    basis = reader.names(data, "legal_basis", "metadata")
    for index, ref in enumerate(basis):
        if ref not in references:
            known = ", ".join(sorted(references)) or "none defined"
            reader.problem(
                join("metadata.legal_basis", index), f"a reference id ({known})", repr(ref)
            )
    if version is None or effective is None or title is None or issuer is None:
        return None
    return Metadata(version, effective, title, issuer, tuple(basis))


def _signoff_roles(reader: Reader, value: Any) -> dict[str, str]:
    data = reader.mapping(value, "signoff_roles")
    roles: dict[str, str] = {}
    for key, raw in data.items():
        path = join("signoff_roles", key)
        name = reader.name(key, path)
        entry = reader.mapping(raw, path, allowed=("label_vi", "label_en"))
        label = reader.text(entry, "label_vi", path) if entry else None
        reader.text(entry, "label_en", path, required=False)
        if name is None or label is None:
            continue
        if name in {role.value for role in Role}:
            reader.problem(
                path,
                "a sign-off role (product roles are assigned to users, not named here)",
                repr(name),
            )
            continue
        roles[name] = label
    if isinstance(value, dict) and not data:
        reader.problem("signoff_roles", "at least one sign-off role", "an empty mapping")
    return roles


def _chains(
    reader: Reader, value: Any, roles: Mapping[str, str], references: Mapping[str, Reference]
) -> dict[str, Chain]:
    chains: dict[str, Chain] = {}
    for key, raw in reader.mapping(value, "chains").items():
        path = join("chains", key)
        name = reader.name(key, path)
        entry = reader.mapping(raw, path, allowed=("stages", "label_vi"))
        if not entry:
            continue
        stages: list[Stage] = []
        seen: set[str] = set()
        field = join(path, "stages")
        for index, stage_raw in enumerate(reader.items(entry.get("stages"), field)):
            stage = _stage(reader, stage_raw, join(field, index), roles, references, seen)
            if stage is not None:
                stages.append(stage)
        if stages and all(stage.when is not StageCondition.ALWAYS for stage in stages):
            reader.problem(
                field, "at least one stage that always applies", "only conditional stages"
            )
        if name is not None and stages:
            label = reader.text(entry, "label_vi", path, required=False)
            chains[name] = Chain(name, tuple(stages), label or "")
    return chains


def _stage(
    reader: Reader,
    raw: Any,
    path: str,
    roles: Mapping[str, str],
    references: Mapping[str, Reference],
    seen: set[str],
) -> Stage | None:
    data = reader.mapping(raw, path, allowed=STAGE_KEYS)
    if not data:
        return None
    stage_id = reader.name(data.get("id"), join(path, "id"))
    if stage_id is not None and stage_id in seen:
        reader.problem(join(path, "id"), "a stage id used once in the chain", f"{stage_id!r} again")
        stage_id = None
    if stage_id is not None:
        seen.add(stage_id)
    label = reader.text(data, "label_vi", path)
    reader.text(data, "label_en", path, required=False)
    deadline = reader.integer(data, "deadline_hours", path, minimum=1, maximum=MAX_DEADLINE_HOURS)
    when = StageCondition.ALWAYS
    if "when" in data:
        try:
            when = StageCondition(data["when"])
        except ValueError:
            options = ", ".join(c.value for c in StageCondition)
            reader.problem(join(path, "when"), f"one of {options}", describe(data["when"]))
    reference = _reference(reader, data, path, references)
    rule = _requirement(reader, data, path, roles)
    if rule is not None:
        try:
            rule.alternatives()
        except ValueError as exc:
            reader.problem(path, "a rule with a reviewable number of alternatives", str(exc))
            rule = None
    if stage_id is None or label is None or deadline is None or rule is None:
        return None
    return Stage(stage_id, label, rule, deadline, when, reference)


def _requirement(
    reader: Reader, data: dict[str, Any], path: str, roles: Mapping[str, str]
) -> Rule | None:
    kinds = [key for key in ("roles", "all_of", "any_of") if key in data]
    if len(kinds) != 1:
        reader.problem(
            path,
            "exactly one of roles (with quorum), all_of or any_of",
            ", ".join(kinds) if kinds else "none of them",
        )
        return None
    kind = kinds[0]
    if kind != "roles":
        for key in ("units", "same_unit", "quorum", "of"):
            if key in data:
                reader.problem(join(path, key), f"no {key} beside {kind} (put it in a part)", key)
        field = join(path, kind)
        parts: list[Rule] = []
        raw_parts = data[kind]
        if isinstance(raw_parts, list) and not raw_parts:
            reader.problem(
                field, f"at least one part (an empty {kind} is refused)", "an empty list"
            )
            return None
        failed = False
        for index, raw in enumerate(reader.items(raw_parts, field)):
            part_path = join(field, index)
            part = reader.mapping(raw, part_path, allowed=REQUIREMENT_KEYS)
            rule = _requirement(reader, part, part_path, roles) if part else None
            if rule is None:
                failed = True
            else:
                parts.append(rule)
        if failed or not parts:
            return None
        return AllOf(tuple(parts)) if kind == "all_of" else AnyOf(tuple(parts))
    return _quorum(reader, data, path, roles)


def _quorum(
    reader: Reader, data: dict[str, Any], path: str, roles: Mapping[str, str]
) -> Rule | None:
    ok = True
    role_names = reader.names(data, "roles", path)
    for index, role in enumerate(role_names):
        if role not in roles:
            known = ", ".join(sorted(roles)) or "none defined"
            reader.problem(join(path, f"roles[{index}]"), f"a sign-off role ({known})", repr(role))
            ok = False
    units: frozenset[str] | None = None
    if "units" in data:
        units = frozenset(reader.names(data, "units", path))
        ok = ok and bool(units)
    same_unit = reader.boolean(data, "same_unit", path, default=False)
    quorum = data.get("quorum")
    of = data.get("of")
    if of is not None and (isinstance(of, bool) or not isinstance(of, int) or of < 1):
        reader.problem(join(path, "of"), "a positive integer (the size of the stage)", describe(of))
        ok = False
        of = None
    count: int | None = None
    if quorum == "all":
        if of is not None:
            reader.problem(join(path, "of"), "no 'of' with quorum all", describe(of))
            ok = False
    elif isinstance(quorum, int) and not isinstance(quorum, bool) and quorum >= 1:
        count = quorum
        if of is not None and quorum > of:
            reader.problem(
                join(path, "quorum"), f"a quorum no larger than the stage ({of})", describe(quorum)
            )
            ok = False
    else:
        reader.problem(join(path, "quorum"), "a positive integer or all", describe(quorum))
        ok = False
    if not ok or not role_names or same_unit is None:
        return None
    if count is None:  # quorum: all -> one distinct signer per listed role
        return AllOf(
            tuple(Quorum(1, Eligibility(frozenset({r}), units, same_unit)) for r in role_names)
        )
    return Quorum(count, Eligibility(frozenset(role_names), units, same_unit))


def _levels(
    reader: Reader,
    value: Any,
    chains: set[str],
    references: Mapping[str, Reference],
) -> dict[str, Level]:
    """Levels in order; ``chains`` are the declared chain names (valid or not, so a broken chain
    is reported once, where it is broken)."""
    levels: dict[str, Level] = {}
    allowed = (
        "name", "label_vi", "label_en", "publishable", "state_secret", "chain", "reference",
    )  # fmt: skip
    for index, raw in enumerate(reader.items(value, "levels")):
        path = join("levels", index)
        data = reader.mapping(raw, path, allowed=allowed)
        if not data:
            continue
        name = reader.name(data.get("name"), join(path, "name"))
        label_vi = reader.text(data, "label_vi", path)
        label_en = reader.text(data, "label_en", path)
        publishable = reader.boolean(data, "publishable", path)
        secret = reader.boolean(data, "state_secret", path, default=False)
        reference = _reference(reader, data, path, references)
        chain = data.get("chain")
        if name is not None and name in levels:
            reader.problem(join(path, "name"), "a level name used once", f"{name!r} again")
            continue
        if secret and name not in STATE_SECRET_LEVELS:
            reader.problem(
                join(path, "state_secret"),
                "state_secret only on " + ", ".join(STATE_SECRET_LEVELS),
                f"state_secret on {name!r}",
            )
        if name in STATE_SECRET_LEVELS and not secret:
            reader.problem(join(path, "state_secret"), "true for a state-secret level", "false")
        if (secret or name in STATE_SECRET_LEVELS) and publishable:
            reader.problem(
                join(path, "publishable"),
                "false (state secrets are never published, Law 117/2025/QH15)",
                "true",
            )
            publishable = None
        if publishable and chain is None:
            reader.problem(
                join(path, "chain"), "a sign-off chain for a publishable level", "nothing"
            )
        elif publishable is False and chain is not None:
            reader.problem(
                join(path, "chain"), "no chain for a level never published", describe(chain)
            )
        elif chain is not None and chain not in chains:
            known = ", ".join(sorted(chains)) or "none valid"
            reader.problem(
                join(path, "chain"), f"a chain defined under chains ({known})", describe(chain)
            )
        if None in (name, label_vi, label_en, publishable, secret):
            continue
        assert name is not None and label_vi is not None and label_en is not None
        levels[name] = Level(
            name=name,
            rank=len(levels),
            label_vi=label_vi,
            label_en=label_en,
            publishable=bool(publishable),
            state_secret=bool(secret),
            chain=chain if publishable else None,
            reference=reference,
        )
    _check_level_order(reader, value, levels)
    return levels


def _check_level_order(reader: Reader, value: Any, levels: Mapping[str, Level]) -> None:
    if not isinstance(value, list):
        return
    missing = [name for name in STATE_SECRET_LEVELS if name not in levels]
    if missing:
        reader.problem(
            "levels",
            "the state-secret levels " + ", ".join(STATE_SECRET_LEVELS),
            "no " + ", ".join(missing),
        )
        return
    ordered = [level.name for level in levels.values()]
    tail = ordered[-len(STATE_SECRET_LEVELS) :]
    if tail != list(STATE_SECRET_LEVELS):
        reader.problem(
            "levels",
            "the state-secret levels last, in the order " + " < ".join(STATE_SECRET_LEVELS),
            "the order " + " < ".join(ordered),
        )
    if len(ordered) == len(STATE_SECRET_LEVELS):
        reader.problem("levels", "at least one publishable level", "only state-secret levels")


def _channels(
    reader: Reader,
    value: Any,
    levels: Mapping[str, Level],
    references: Mapping[str, Reference],
) -> dict[str, Channel]:
    channels: dict[str, Channel] = {}
    allowed = (
        "label_vi",
        "label_en",
        "levels",
        "file_types",
        "implies_level",
        "publisher",
        "reference",
    )
    for key, raw in reader.mapping(value, "channels").items():
        path = join("channels", key)
        name = reader.name(key, path)
        data = reader.mapping(raw, path, allowed=allowed)
        if not data:
            continue
        label = reader.text(data, "label_vi", path)
        reader.text(data, "label_en", path, required=False)
        level_names = reader.names(data, "levels", path)
        ok = True
        for index, level_name in enumerate(level_names):
            field = join(path, f"levels[{index}]")
            if level_name not in levels:
                reader.problem(field, "a level defined under levels", repr(level_name))
                ok = False
            elif not levels[level_name].publishable:
                reader.problem(field, "a publishable level", f"{level_name!r}, never published")
                ok = False
        file_types = _file_types(reader, data, path)
        implies = data.get("implies_level")
        if implies is not None:
            if not isinstance(implies, str) or implies not in levels:
                reader.problem(
                    join(path, "implies_level"), "a level defined under levels", describe(implies)
                )
                ok = False
            elif (
                ok
                and level_names
                and all(levels[name].rank < levels[implies].rank for name in level_names)
            ):
                reader.problem(
                    join(path, "implies_level"),
                    "a level at or below the highest level the channel allows",
                    repr(implies),
                )
                ok = False
        publisher = _publisher(reader, data.get("publisher"), join(path, "publisher"))
        reference = _reference(reader, data, path, references)
        if name is None or label is None or publisher is None or file_types is None or not ok:
            continue
        channels[name] = Channel(
            name, label, frozenset(level_names), file_types, publisher, implies, reference
        )
    return channels


def _themes(reader: Reader, value: Any) -> dict[str, Theme]:
    """``themes: [{id, label_vi, label_en?}]``, in the plan's order; optional (a policy stored
    before themes existed declares none)."""
    themes: dict[str, Theme] = {}
    if value is None:
        return themes
    for index, raw in enumerate(reader.items(value, "themes")):
        path = join("themes", index)
        entry = reader.mapping(raw, path, allowed=("id", "label_vi", "label_en"))
        if not entry:
            continue
        theme_id = reader.name(entry.get("id"), join(path, "id"))
        label_vi = reader.text(entry, "label_vi", path)
        label_en = reader.text(entry, "label_en", path, required=False)
        if theme_id is None or label_vi is None:
            continue
        if theme_id in themes:
            reader.problem(join(path, "id"), "a theme id used once", f"{theme_id!r} again")
            continue
        themes[theme_id] = Theme(theme_id, label_vi, label_en)
    return themes


def _languages(reader: Reader, value: Any) -> dict[str, Language]:
    """``languages: [{code, label_vi, label_en?}]`` (ISO 639-1), the first one the default;
    optional (a policy stored before languages existed accepts Vietnamese only)."""
    if value is None:
        return {VIETNAMESE.code: VIETNAMESE}
    languages: dict[str, Language] = {}
    for index, raw in enumerate(reader.items(value, "languages")):
        path = join("languages", index)
        entry = reader.mapping(raw, path, allowed=("code", "label_vi", "label_en"))
        if not entry:
            continue
        code = entry.get("code")
        label_vi = reader.text(entry, "label_vi", path)
        label_en = reader.text(entry, "label_en", path, required=False)
        if not isinstance(code, str) or code not in ISO_639_1:
            reader.problem(
                join(path, "code"),
                "an ISO 639-1 language code in lowercase (vi, en, zh, ko, ja, fr...)",
                describe(code),
            )
            continue
        if code in languages:
            reader.problem(join(path, "code"), "a language code used once", f"{code!r} again")
            continue
        if label_vi is not None:
            languages[code] = Language(code, label_vi, label_en)
    return languages


def _file_types(reader: Reader, data: dict[str, Any], path: str) -> frozenset[str] | None:
    field = join(path, "file_types")
    found: set[str] = set()
    ok = True
    for index, raw in enumerate(reader.items(data.get("file_types"), field)):
        if not isinstance(raw, str) or not MIME_PATTERN.match(raw):
            reader.problem(join(field, index), "a MIME type such as application/pdf", describe(raw))
            ok = False
        else:
            found.add(raw)
    return frozenset(found) if ok and found else None


def _publisher(reader: Reader, value: Any, path: str) -> Publisher | None:
    data = reader.mapping(value, path, allowed=("adapter", "settings"))
    if not data:
        return None
    adapter = data.get("adapter")
    if adapter not in KNOWN_ADAPTERS:
        reader.problem(
            join(path, "adapter"), "one of " + ", ".join(sorted(KNOWN_ADAPTERS)), describe(adapter)
        )
        return None
    settings = reader.mapping(data.get("settings", {}), join(path, "settings"))
    for key in settings:
        if any(word in key.lower() for word in SECRET_WORDS) and not key.lower().endswith("_env"):
            reader.problem(
                join(path, f"settings.{key}"),
                "no secrets in the policy (name an environment variable with a key ending _env)",
                repr(key),
            )
            return None
    return Publisher(str(adapter), to_json_value(settings))


def _screening(
    reader: Reader, value: Any, include_base: Path | None, today: date | None
) -> tuple[dict[str, Any] | None, ScreeningRules | None]:
    """Resolve the screening section and parse it with the screening engine's parser."""
    if value is None:
        reader.problem("screening", "a screening section (inline or {include: FILE})", "nothing")
        return None, None
    data = reader.mapping(value, "screening")
    source = reader.source
    included = False
    if "include" in data:
        if len(data) != 1:
            reader.problem("screening", "only the include key beside include", "other keys too")
            return None, None
        found = _include(reader, data["include"], include_base)
        if found is None:
            return None, None
        source, included = found, True
        data = Reader(found, reader.problems).mapping(found.data, "")
    if not data:
        return None, None

    def line_of(field: str) -> int | None:
        return source.line_of(field.removeprefix("screening.") if included else field)

    rules = parse_screening_rules(
        data,
        file=source.file,
        field_prefix="screening",
        line_of=line_of,
        problems=reader.problems,
        today=today,
    )
    return data, rules


def _check_screening_levels(
    reader: Reader, rules: ScreeningRules | None, levels: Mapping[str, Level]
) -> None:
    """Every level screening can imply must be a policy level (classification names it)."""
    if rules is None:
        return
    for index, name in enumerate(rules.levels):
        if name not in levels:
            known = ", ".join(levels) or "none valid"
            reader.problem(
                f"screening.levels[{index}]", f"a level defined under levels ({known})", repr(name)
            )


def _include(reader: Reader, value: Any, base: Path | None) -> Source | None:
    if base is None:
        reader.problem(
            "screening.include", "an inline screening section in a stored policy", describe(value)
        )
        return None
    if not isinstance(value, str) or not value.endswith((".yaml", ".yml")):
        reader.problem("screening.include", "a relative path to a .yaml file", describe(value))
        return None
    relative = Path(value)
    target = (base / relative).resolve()
    if relative.is_absolute() or not target.is_relative_to(base.resolve()):
        reader.problem(
            "screening.include", "a path inside the policy file's folder", describe(value)
        )
        return None
    return read_source(target, reader.problems)
