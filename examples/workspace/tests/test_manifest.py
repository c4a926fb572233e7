"""prefect.yaml as written: the deployment it declares and pull steps that fetch a workspace."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from prefect.deployments.steps.core import run_steps

WORKSPACE = Path(__file__).resolve().parents[1]
DEPLOYMENT = "nyc-green-taxi-pipeline"
TAGS = ["nexus-stack-seed", "nexus-tutorials", "data-engineering"]


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load((WORKSPACE / "prefect.yaml").read_text())


def test_the_manifest_declares_exactly_the_tutorial_deployment(manifest: dict) -> None:
    assert manifest["name"] == "nexus-tutorials"
    [deployment] = manifest["deployments"]
    assert deployment["name"] == DEPLOYMENT
    assert deployment["entrypoint"] == (
        "flows/nyc_green_taxi_pipeline.py:nyc_green_taxi_pipeline"
    )
    assert deployment["work_pool"] == {"name": "local-pool"}
    assert deployment["tags"] == TAGS
    assert "push" in deployment["description"] and "edit" in deployment["description"]
    assert "parameters" not in deployment


def test_the_manifest_has_no_schedule_and_nothing_to_build_or_push(manifest: dict) -> None:
    [deployment] = manifest["deployments"]
    assert deployment["schedules"] == []
    assert "schedule" not in deployment
    assert manifest["build"] is None and manifest["push"] is None


def test_the_pull_steps_clone_the_workspace_without_credentials_then_install_requirements(
    manifest: dict,
) -> None:
    clone, install = manifest["pull"]
    clone = clone["prefect.deployments.steps.git_clone"]
    install = install["prefect.deployments.steps.pip_install_requirements"]

    assert clone["repository"] == "{{ $WORKSPACE_REPO_URL }}"
    assert clone["branch"] == "{{ $WORKSPACE_BRANCH }}"
    assert not {"access_token", "credentials"} & clone.keys()
    assert install["directory"] == "{{ " + clone["id"] + ".directory }}"


def test_the_pull_steps_fetch_a_checkout_and_find_the_requirements_installed(
    manifest: dict, workspace_remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKSPACE_REPO_URL", workspace_remote.as_uri())
    monkeypatch.setenv("WORKSPACE_BRANCH", "main")
    run_directory = tmp_path / "flow-run"
    run_directory.mkdir()
    monkeypatch.chdir(run_directory)

    outputs = asyncio.run(run_steps(manifest["pull"], print_function=lambda *a, **k: None))

    checkout = run_directory / outputs["clone-workspace"]["directory"]
    assert (checkout / "flows" / "nyc_green_taxi_pipeline.py").is_file()
    assert "Requirement already satisfied: duckdb==" in outputs["stdout"]
