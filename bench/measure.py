"""Running one benchmarked command: wall time, CPU time and peak memory of its whole process tree, and the
machine's load while it ran.

CPU seconds are reported next to wall seconds because the benchmark machine is shared: another job's load
stretches wall time much more than it changes the CPU a command needs.
"""

from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

import psutil

SAMPLE_SECONDS = 0.1


@dataclass
class Run:
    seconds: float
    cpu_seconds: float  # user + system of the command and every descendant it waited for
    peak_rss_mib: float  # largest sum of RSS over the process tree, sampled every SAMPLE_SECONDS
    load: float  # 1-minute load average when the command ended
    cpu_by_process: dict  # process name -> CPU seconds (last sample of each process; see _tree_sample)
    returncode: int
    stdout: str
    stderr: str

    def summary(self) -> dict:
        data = asdict(self)
        del data["stdout"], data["stderr"], data["returncode"]
        data["cpu_by_process"] = {name: round(value, 2) for name, value in sorted(data["cpu_by_process"].items())}
        return {key: round(value, 2) if isinstance(value, float) else value for key, value in data.items()}


def _tree_sample(process: psutil.Process, cpu: dict) -> int:
    """RSS of the whole tree now; records each member's CPU time so far in ``cpu`` (pid -> (name, seconds)).
    A process's CPU after its last sample (at most SAMPLE_SECONDS) is missed in the per-process split, not in
    the total."""
    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    for member in members:
        try:
            with member.oneshot():
                total += member.memory_info().rss
                times = member.cpu_times()
                cpu[member.pid] = (_label(member), times.user + times.system)
        except psutil.Error:
            pass
    return total


def _label(process: psutil.Process) -> str:
    """A short name: the executable, or for an interpreter the script it runs (pulumi-language-python-exec, ...)."""
    try:
        name = Path(process.exe()).name or process.name()  # the kernel's process name is cut at 15 characters
    except psutil.Error:
        name = process.name()
    if name.startswith("python"):
        args = process.cmdline()[1:]
        program = next((arg for arg in args if arg.endswith("pulumi-language-python-exec")), None)
        if program:  # the Pulumi program, also when the host starts it through its configuration loader (-c)
            return f"python {Path(program).name}"
        if "-c" in args:
            return "python -c"
        if "-m" in args:
            return f"python -m {args[args.index('-m') + 1]}" if args.index("-m") + 1 < len(args) else name
        script = next((arg for arg in args if not arg.startswith("-")), "")
        return f"python {Path(script).name}" if script else name
    return name


def run(command: list[str], *, cwd: Path, env: dict[str, str], timeout: float, input: Optional[str] = None) -> Run:
    """Runs ``command`` to its end and measures it (never raises on a non-zero exit: the caller decides)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    child = subprocess.Popen(
        command, cwd=cwd, env=env, text=True,
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    peak = 0
    cpu: dict[int, tuple[str, float]] = {}
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        try:
            process = psutil.Process(child.pid)
        except psutil.Error:
            return
        while not done.is_set():
            peak = max(peak, _tree_sample(process, cpu))
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        stdout, stderr = child.communicate(input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        for member in psutil.Process(child.pid).children(recursive=True):
            member.kill()
        child.kill()
        stdout, stderr = child.communicate()
        stderr += f"\n[bench] timed out after {timeout} s"
    finally:
        done.set()
        sampler.join()
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    by_process: dict[str, float] = {}
    for name, seconds_used in cpu.values():
        by_process[name] = by_process.get(name, 0.0) + seconds_used
    return Run(
        seconds=seconds,
        cpu_seconds=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        peak_rss_mib=peak / 2**20,
        load=os.getloadavg()[0],
        cpu_by_process=by_process,
        returncode=child.returncode,
        stdout=stdout,
        stderr=stderr,
    )
