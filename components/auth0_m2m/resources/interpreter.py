"""Settings of the Python interpreter for a process that runs a large Pulumi program.

Measured (bench/program_evaluation.py, README "Benchmarks"): evaluating 1,000 applications (36,000 resources)
under mocks spends half or more of its time in CPython's cyclic garbage collector, for the component library and
a plain pulumi_auth0 program alike. The Python SDK keeps about 65 objects alive per resource (outputs, futures,
tasks, resolved values), so the heap grows to millions of objects and each full collection walks all of them: the
collector's cost grows faster than the program. Almost nothing it walks is garbage: resources and their outputs
live until the program ends.

This is a process-wide setting, so the library never applies it on import: the project's program
(``__main__.py``) and the component package's plugin call it, because each owns its process. Another team's
program may call it too (``auth0_m2m.tune_garbage_collection()``, first thing in ``__main__.py``).
"""

from __future__ import annotations

import gc

#: (generation 0, 1, 2) collection thresholds. Generation 0 is collected after 10,000 net allocations instead of
#: 700, and generation 2 (the full walk) after 50 collections of generation 1 instead of 10; CPython still skips a
#: full collection until a quarter of the heap is new. Measured at 100 to 1,000 applications: evaluation 1.5-1.8x
#: faster, the same peak memory (the cycles the SDK leaves are few and are still collected, later).
THRESHOLDS = (10_000, 50, 50)


def tune_garbage_collection() -> tuple[int, int, int]:
    """Collect garbage less often in this process (:data:`THRESHOLDS`; a threshold already set higher is kept, 0
    means the collector is off and stays off). Returns the thresholds in force before the call."""
    before = gc.get_threshold()
    gc.set_threshold(*(0 if old == 0 else max(old, new) for old, new in zip(before, THRESHOLDS)))
    return before
