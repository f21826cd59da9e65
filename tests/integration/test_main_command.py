"""The README's main command, as a newcomer runs it: scripts/main, twice.

It runs with its own tenant directory, port, state backend and local-stack directory, so that it
neither disturbs nor reuses a local tenant this checkout may already have."""

from __future__ import annotations

import os
import subprocess

import pytest

from .harness import REPO, free_port, offline_pulumi_env

pytestmark = pytest.mark.integration


def test_main_command_deploys_the_local_stack_and_checks_access(tmp_path):
    env = {
        **offline_pulumi_env(),
        "AUTH0_EMULATOR_DIR": str(tmp_path / "tenant"),
        "AUTH0_M2M_LOCAL_PORT": str(free_port()),
        "AUTH0_M2M_LOCAL_STACK_DIR": str(tmp_path / "local-stack"),
        "PULUMI_BACKEND_URL": f"file://{tmp_path / 'backend'}",
        "PULUMI_CONFIG_PASSPHRASE": "main-command-test",
    }
    env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
    (tmp_path / "backend").mkdir()
    tracked = (REPO / "stacks" / "Pulumi.local.yaml").read_text()
    try:
        first = subprocess.run([str(REPO / "scripts" / "main")], env=env, capture_output=True, text=True, timeout=900)
        assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-4000:]
        assert "All 75 token requests match the stack config." in first.stdout
        second = subprocess.run([str(REPO / "scripts" / "main")], env=env, capture_output=True, text=True, timeout=900)
        assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-4000:]
        assert "41 unchanged" in second.stdout
        assert "already running" in second.stderr
    finally:
        subprocess.run([str(REPO / "scripts" / "local-tenant"), "stop"], env=env, timeout=60)
    assert (REPO / "stacks" / "Pulumi.local.yaml").read_text() == tracked, "the tracked stack file must not change"
    assert not os.path.exists(tmp_path / "tenant" / "emulator.pid")
