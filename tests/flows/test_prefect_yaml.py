"""``prefect.yaml`` (the scale path's deployments on the ``clearance`` work pool) names the same
deployments the embedded launcher serves, and every entrypoint loads from the installed
package (module paths, no source checkout)."""

from __future__ import annotations

from pathlib import Path

import yaml

from flows.server import DEPLOYMENTS

PREFECT_YAML = Path(__file__).resolve().parents[2] / "prefect.yaml"


def _deployments() -> list[dict[str, object]]:
    document = yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    deployments = document["deployments"]
    assert isinstance(deployments, list)
    return deployments


def test_prefect_yaml_declares_the_served_deployments_on_one_work_pool() -> None:
    from prefect.flows import load_flow_from_entrypoint

    found = set()
    for deployment in _deployments():
        entrypoint = str(deployment["entrypoint"])
        assert ".py" not in entrypoint, "a module path, so workers load it from the wheel"
        flow = load_flow_from_entrypoint(entrypoint)
        found.add(f"{flow.name}/{deployment['name']}")
        pool = deployment["work_pool"]
        assert isinstance(pool, dict) and pool["name"] == "clearance"
    assert found == set(DEPLOYMENTS)


def test_scheduled_deployments_have_an_interval() -> None:
    schedules = {str(d["name"]): d.get("schedules") for d in _deployments()}
    for name in ("deadlines", "monitor-channels", "previews-backfill"):
        entries = schedules[name]
        assert isinstance(entries, list) and len(entries) == 1
        assert int(entries[0]["interval"]) > 0
