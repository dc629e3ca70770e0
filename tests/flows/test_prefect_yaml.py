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


def test_no_flow_or_task_persists_its_result() -> None:
    """A persisted result is a file in the local storage of the machine that ran the run: on the
    scale path another machine (the one that created the run) could never read it. Explicit on
    each, so ``PREFECT_RESULTS_PERSIST_BY_DEFAULT=true`` on a worker changes nothing (the end to
    end run is ``tests/flows/test_scale_path.py``)."""
    from prefect import Flow
    from prefect.tasks import Task

    import flows.pipeline as pipeline

    declared = {
        name: value
        for name, value in vars(pipeline).items()
        if isinstance(value, Flow | Task) and value.__module__ == pipeline.__name__
    }
    names = {value.name for value in declared.values()}
    assert {"review-batch", "publish-batch", "deadlines", "monitor-channels"} <= names
    assert {"previews-backfill", "previews_task"} <= names
    assert {"review", "publish", "deadlines_task", "monitor_task"} <= names
    assert {name: value.persist_result for name, value in declared.items()} == dict.fromkeys(
        declared, False
    )
