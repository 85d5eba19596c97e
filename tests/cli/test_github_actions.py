"""The documented GitHub Actions workflow is valid YAML with what Actions needs to run it."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "docs" / "github-actions" / "followsync.yml"


def test_the_workflow_is_yaml_with_on_jobs_and_steps():
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    # YAML 1.1 reads a bare `on` as True; Actions reads it as the key "on".
    triggers = data.get("on", data.get(True))
    assert triggers["schedule"][0]["cron"].split()[2:] == ["*", "*", "*"]  # daily
    assert "workflow_dispatch" in triggers
    (job,) = data["jobs"].values()
    assert job["runs-on"] and isinstance(job["steps"], list)
    for step in job["steps"]:
        assert set(step) & {"uses", "run"}, step
    run_steps = [s for s in job["steps"] if "run" in s]
    last = run_steps[-1]
    assert "followsync run" in last["run"]
    assert last["env"]["FOLLOWSYNC_AIRTABLE_TOKEN"] == "${{ secrets.AIRTABLE_TOKEN }}"
    assert "secrets.GOOGLE_SERVICE_ACCOUNT_JSON" in last["env"]["GOOGLE_SERVICE_ACCOUNT_JSON"]
    assert "FOLLOWSYNC_GOOGLE_CREDENTIALS" in last["run"]
    assert "echo" not in last["run"]  # a secret is never printed


def test_readme_points_at_the_workflow():
    assert "docs/github-actions/followsync.yml" in (ROOT / "README.md").read_text(encoding="utf-8")
