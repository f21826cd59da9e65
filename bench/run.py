"""All benchmarks, one command: writes bench/results/results.json and results.md and prints the table.

    source scripts/pulumi-env.sh && export PATH="$PWD/.venv/bin:$PATH"
    python bench/run.py                   # everything (about an hour on 2 cores)
    python bench/run.py --quick           # small sizes only, to check the harness
    python bench/run.py --only peer       # one part (evaluation, up, tokens, peer, import, fast_up); the others are kept

Numbers are benchmark output, never test assertions. Targets (from the benchmark issue) are printed next to
the measurements with a verdict, so a regression is visible at a glance.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import adoption  # noqa: E402
import peer  # noqa: E402
import program_evaluation  # noqa: E402
import pulumi_up  # noqa: E402
import token_issuance  # noqa: E402

RESULTS = HERE / "results"


def markdown(results: dict) -> str:
    lines = [f"# Benchmark results ({results['date']}, {results['machine']})", ""]
    lines += ["## 1. Program evaluation under mocks (N apps x 3 APIs x 10 organization authorizations)", "",
              "| applications | resources | component s | plain s | overhead | bare-component floor | "
              "component peak MiB | plain peak MiB | "
              "with the program's collector setting: component s / plain s / overhead / floor / speed-up |",
              "|---|---|---|---|---|---|---|---|---|"]
    for r in results["evaluation"]:
        cpu = f" (CPU {r['cpu_overhead_ratio']}x)" if "cpu_overhead_ratio" in r else ""
        floor = lambda s: f"{s['structure_ratio']}x" if "structure_ratio" in s else "-"  # noqa: E731
        t = r.get("tuned")
        tuned = (f"{t['component_seconds']} / {t['plain_seconds']} / {t['overhead_ratio']}x / {floor(t)} / "
                 f"{t['speedup']}x" if t else "-")
        lines.append(f"| {r['applications']} | {r['resources']} | {r['component_seconds']} | {r['plain_seconds']} | "
                     f"{r['overhead_ratio']}x{cpu} | {floor(r)} | {r['component_peak_mib']} | {r['plain_peak_mib']} | "
                     f"{tuned} |")
    lines += ["", "Medians of 5 alternating runs per side; the plain program sends the same inputs. Targets: linear; "
              "1000 applications < 60 s and < 2 GiB; overhead <= 1.05x (interpreter defaults, as another team's "
              "program runs it). Bare-component floor: the plain program's resources under one bare component per "
              "application (and one for the estate), parented as the library parents them, against the plain program "
              "(what any per-application component costs in Pulumi's Python SDK). The program's setting: "
              "`auth0_m2m.tune_garbage_collection()` on every side; speed-up: component at defaults / component with "
              "it. Samples, time in the collector, machine load: evaluation.md.",
              ""]
    up_rows = results["up"]
    lines += ["## 2-3. `pulumi up` against the emulator (N apps x 3 APIs x "
              f"{up_rows[0]['authorizations_per_grant'] if up_rows else '?'} organization authorizations)", "",
              "| applications | resources | rate limits | state checkpoints | up s | Management API calls | calls/resource | "
              "429s | theoretical minimum s | ratio | no-op preview s / calls | no-op up s / calls |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in up_rows:
        noop = lambda key: f"{r[key + '_seconds']} / {r[key + '_calls']}" if key + "_seconds" in r else "-"
        lines.append(
            f"| {r['applications']} | {r['resources']} | {'50 burst, 16/s' if r['rate_limited'] else 'none'} | "
            f"{'every step' if r['checkpoints'] else 'skipped'} | {r['up_seconds']} | {r['management_calls']} | "
            f"{r['calls_per_resource']} | {r['throttled_429s']} | {r.get('theoretical_minimum_seconds', '-')} | "
            f"{r.get('ratio_to_minimum', '-')} | {noop('noop_preview')} | {noop('noop_up')} |")
    lines += ["", "Theoretical minimum under rate limits: (successful Management API calls - 50) / 16 (429 answers do no work). Targets: ratio <= 1.3; "
              "no-op preview: 0 calls. \"state checkpoints: skipped\" is PULUMI_SKIP_CHECKPOINTS=true, measured only to "
              "separate the file backend's cost; never deploy with it.", ""]
    for r in up_rows:
        if r["checkpoints"] and not r["rate_limited"]:
            routes = ", ".join(f"{route} {n}" for route, n in sorted(r["calls_by_route"].items()))
            lines.append(f"- {r['applications']} applications, calls by route: {routes}")
    t = results["tokens"]
    lines += ["", "## 4. Emulator token issuance", "",
              "| requests | concurrency | requests/s | p50 ms | p99 ms |", "|---|---|---|---|---|",
              f"| {t.get('requests')} | {t.get('concurrency')} | {t.get('requests_per_second')} | {t.get('p50_ms')} | {t.get('p99_ms')} |", ""]
    if results.get("peer"):
        lines += peer.markdown(results["peer"])
    if results.get("import") or results.get("fast_up"):
        lines += adoption.markdown(results.get("import") or [], results.get("fast_up") or [])
    return "\n".join(lines)


def evaluation(sizes, repeats: int) -> list[dict]:
    rows = program_evaluation.run(sizes, repeats=repeats)
    program_evaluation.write(rows)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parts = ["evaluation", "up", "tokens", "peer", "import", "fast_up"]
    parser.add_argument("--reuse", action="append", default=[], choices=parts,
                        help="keep this part from the previous results.json instead of measuring it again")
    parser.add_argument("--only", action="append", default=[], choices=parts,
                        help="measure only this part (repeatable); keep the others from the previous results.json")
    args = parser.parse_args()
    if args.only:
        args.reuse = [part for part in parts if part not in args.only]
    eval_sizes, up_sizes = ((10, 100), (10,)) if args.quick else ((100, 300, 1000), (50, 200))
    peer_sizes = (10, 30) if args.quick else (100, 500)
    previous = json.loads((RESULTS / "results.json").read_text()) if args.reuse else {}
    for row in previous.get("up", []):
        pulumi_up.derive(row)  # derived fields follow the current definitions
    results = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        **{part: previous.get(part) for part in parts},
    }

    def save(part: str, value) -> None:
        """Writes results.json and results.md with ``part`` as measured so far (a long run keeps what it has)."""
        results[part] = value
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "results.json").write_text(json.dumps(results, indent=2) + "\n")
        (RESULTS / "results.md").write_text(markdown(results))

    measure = {
        "evaluation": lambda: evaluation(eval_sizes, repeats=2 if args.quick else 5),
        "up": lambda: pulumi_up.run(up_sizes),
        "tokens": lambda: token_issuance.run(requests=500 if args.quick else 3000, concurrency=8),
        "peer": lambda: peer.run(peer_sizes, repeats=1 if args.quick else 3,
                                 progress=lambda partial: save("peer", partial)),
        "import": lambda: [adoption.measure_import(*((20, 3) if args.quick else (300, 10)))],
        "fast_up": lambda: adoption.run_up(up_sizes, progress=lambda partial: save("fast_up", partial)),
    }
    for part, run in measure.items():
        if part not in args.reuse:
            save(part, run())
    save("date", results["date"])
    print(markdown(results))


if __name__ == "__main__":
    main()
