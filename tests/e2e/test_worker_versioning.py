"""Worker versioning against the real dev server: a worker started with
TEMPORAL_DEPLOYMENT_NAME and TEMPORAL_BUILD_ID joins that worker deployment as that build, and
the command the Helm chart's post-upgrade hook runs makes it the current version."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from temporalio.api.workflowservice.v1 import DescribeWorkerDeploymentRequest

from settings import Settings
from tests.e2e.conftest import BIN, Stack
from tests.e2e.test_lifecycle import poll
from workers.worker import run_worker

pytestmark = pytest.mark.e2e

DEPLOYMENT, BUILD = "marketing-agent-e2e", "1.4.2"


@asynccontextmanager
async def versioned_worker(settings: Settings) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(settings, stop=stop))
    try:
        yield
    finally:
        stop.set()
        await task


async def test_a_versioned_worker_joins_its_deployment_and_can_be_made_current(
    stack: Stack, tmp_path
) -> None:
    address = stack.client.service_client.config.target_host
    settings = Settings(
        temporal_address=address,
        temporal_task_queue="e2e-versioned",
        temporal_deployment_name=DEPLOYMENT,
        temporal_build_id=BUILD,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'versioned.db'}",
        ad_platform_url=stack.simulator_url,
    )

    async def deployment():
        try:
            return await stack.client.workflow_service.describe_worker_deployment(
                DescribeWorkerDeploymentRequest(namespace="default", deployment_name=DEPLOYMENT)
            )
        except Exception:
            return None  # not there until the worker polls

    async with versioned_worker(settings):
        described = await poll(deployment, "the worker deployment to appear", within=30)
        builds = [
            v.deployment_version.build_id
            for v in described.worker_deployment_info.version_summaries
        ]
        assert builds == [BUILD]
        # What helm/marketing-agent/templates/hooks.yaml runs after an upgrade.
        result = await asyncio.to_thread(
            subprocess.run,
            [
                str(BIN / "temporal"),
                "worker",
                "deployment",
                "set-current-version",
                f"--deployment-name={DEPLOYMENT}",
                f"--build-id={BUILD}",
                "--yes",
            ],
            # The CLI reads the same variables the hook sets.
            env={
                **os.environ,
                "TEMPORAL_ADDRESS": address,
                "TEMPORAL_NAMESPACE": "default",
                "TEMPORAL_TLS": "false",
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        current = (await deployment()).worker_deployment_info.routing_config
        assert current.current_deployment_version.build_id == BUILD
