"""The sign-off engine is a leaf of the standard library, and the offline verifier reaches it
without YAML, SQLAlchemy or the policy package (it needs only ``cryptography``)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

THIRD_PARTY = ("yaml", "sqlalchemy", "flask", "prefect", "cryptography", "magic", "orjson")


def _loaded_after(module: str) -> set[str]:
    code = f"import json, sys\nimport {module}\nprint(json.dumps(sorted(sys.modules)))\n"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return set(json.loads(out.stdout))


def test_the_engine_imports_only_the_standard_library_and_itself() -> None:
    loaded = _loaded_after("clearance.approval")
    ours = {name for name in loaded if name.startswith("clearance.")}
    assert ours <= {name for name in ours if name.startswith("clearance.approval")}
    assert not {name.split(".")[0] for name in loaded} & set(THIRD_PARTY)
    # an editable install's import hook (setuptools) is not a dependency of the engine
    plumbing = {"__main__", "_distutils_hack"}
    tops = {n.split(".")[0] for n in loaded if not n.startswith("__editable__")} - plumbing
    assert tops <= sys.stdlib_module_names | {"clearance"}


@pytest.mark.parametrize("module", ["clearance.auditlog.workflow", "clearance.auditlog.offline"])
def test_the_verifier_walks_chains_without_the_policy_package(module: str) -> None:
    loaded = _loaded_after(module)
    assert "clearance.approval.walk" in loaded
    assert not {"yaml", "sqlalchemy", "clearance.policy", "clearance.screening"} & loaded
