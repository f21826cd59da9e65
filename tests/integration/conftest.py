"""A tenant emulator per test (`emulator`) or per module (`module_emulator`), stopped afterwards."""

from __future__ import annotations

import pytest

from .harness import Emulator


@pytest.fixture
def emulator(tmp_path):
    emulator = Emulator(tmp_path / "tenant")
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def module_emulator(tmp_path_factory):
    emulator = Emulator(tmp_path_factory.mktemp("tenant"))
    yield emulator
    emulator.stop()
