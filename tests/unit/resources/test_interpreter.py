"""The garbage collector setting of processes that run nothing but a program (auth0_m2m.resources.interpreter)."""

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from auth0_m2m import tune_garbage_collection
from auth0_m2m.resources.interpreter import THRESHOLDS

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def restore_thresholds():
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ((700, 10, 10), THRESHOLDS),  # CPython's defaults
        ((50_000, 10, 100), (50_000, THRESHOLDS[1], 100)),  # a higher threshold of the program's own is kept
        ((0, 10, 10), (0, THRESHOLDS[1], THRESHOLDS[2])),  # 0 switches collection off: it stays off
    ],
)
def test_collects_less_often_and_never_more(before, after):
    gc.set_threshold(*before)
    assert tune_garbage_collection() == before
    assert gc.get_threshold() == after
    assert tune_garbage_collection() == after  # twice is the same as once


def test_importing_the_library_changes_nothing():
    """A process-wide setting: only processes that run nothing but the program apply it (__main__.py, the
    component package's plugin), never an import."""
    code = "import gc; before = gc.get_threshold(); import auth0_m2m.resources; assert gc.get_threshold() == before"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_the_project_program_applies_it_before_reading_its_configuration():
    program = (REPO / "__main__.py").read_text()
    assert program.index("tune_garbage_collection()") < program.index("load_program_config()")
