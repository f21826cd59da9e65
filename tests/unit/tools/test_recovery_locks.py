"""A lock left by a killed `pulumi` is recognised as stale, also while the dead process is still a zombie."""

import os
import socket
import subprocess
import sys
import time

from auth0_m2m.tools.recovery import stale_lock_holder


def locked_message(pid: int, host: str | None = None) -> str:
    return (
        "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete "
        "the lock file with `pulumi cancel`.\n"
        f"  file:///state/.pulumi/locks/organization/p/local/x.json: created by root@{host or socket.gethostname()} "
        f"(pid {pid}) at 2026-12-02T06:00:00Z"
    )


def test_a_lock_of_a_live_process_is_left_alone():
    assert stale_lock_holder(locked_message(os.getpid())) is None


def test_a_lock_of_a_process_that_is_gone_is_stale():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert stale_lock_holder(locked_message(child.pid)) == child.pid


def test_a_lock_of_a_killed_process_not_yet_reaped_is_stale():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # exited but not waited for: a zombie, as after kill -9 of its parent
        with open(f"/proc/{child.pid}/stat") as handle:
            if handle.read().rpartition(")")[2].split()[0] == "Z":
                break
        time.sleep(0.01)
    try:
        assert stale_lock_holder(locked_message(child.pid)) == child.pid
    finally:
        child.wait()


def test_a_lock_taken_on_another_host_is_left_alone():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert stale_lock_holder(locked_message(child.pid, host="another-host")) is None


def test_other_errors_are_not_locks():
    assert stale_lock_holder("error: something else") is None
