"""Peak memory of recording a big graph with ``compile``, against the eager engine.

Each case runs in a fresh subprocess (peak RSS, ``ru_maxrss``, is a high-water mark
for the whole process), builds the weights, notes the RSS, then either records the
function (first compiled call) or runs it eagerly (forward and backward). Reported:
the peak over that starting RSS, per graph node, the recording's wall time, and the
time of one replay (mean of a few) beside one eager step. Wall times: read ratios,
the machine is shared. Workloads (the ones issue 16 measured):

* tanh-sum: ``sum((w * x).tanh() for w in ws)``, a wide graph;
* sin chain: ``s = (s * w).sin()`` over the weights, a deep one.

Run ``python benchmarks/bench_compile_memory.py [--nodes N ...] [--smoke]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import micrograd_like as ml

WORKLOADS = {"tanh-sum": 4, "sin-chain": 3}  # graph nodes per weight


def tanh_sum(ws):
    return lambda x: sum((w * x).tanh() for w in ws)


def sin_chain(ws):
    def f(x):
        s = x
        for w in ws:
            s = (s * w).sin()
        return s

    return f


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child(workload: str, nodes: int, mode: str, replays: int) -> dict:
    """One measurement (runs in the subprocess): peak MiB over the start, seconds."""
    ws = [ml.Value(0.5 + (i % 7) * 0.01) for i in range(nodes // WORKLOADS[workload])]
    fn = (tanh_sum if workload == "tanh-sum" else sin_chain)(ws)
    start = _peak_mib()
    begin = time.perf_counter()
    if mode == "eager":
        loss = fn(ml.Value(0.3))
        loss.backward()
    else:
        compiled = ml.compile(fn)
        out = compiled(0.3)
    seconds = time.perf_counter() - begin
    peak = _peak_mib() - start
    if mode == "eager":  # counted after the peak is read: the walk holds memory of its own
        out, count = loss.data, sum(1 for _ in ml.engine.iter_graph(loss))
    else:
        count = len(compiled._last.plan.ops)
    replay = None
    if mode == "record" and replays:
        begin = time.perf_counter()
        for _ in range(replays):
            compiled(0.3)
        replay = (time.perf_counter() - begin) / replays
    return {"peak_mib": peak, "seconds": seconds, "nodes": count, "replay": replay, "out": out}


def measure(workload: str, nodes: int, mode: str, replays: int) -> dict:
    cmd = [sys.executable, __file__, "--child", workload, str(nodes), mode, str(replays)]
    return json.loads(subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True).stdout)


def report(sizes: dict[str, int], replays: int) -> list[str]:
    rows = [
        "| workload | nodes | eager peak | recording peak | per node | record | replay | eager step |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for workload, nodes in sizes.items():
        eager = measure(workload, nodes, "eager", 0)
        rec = measure(workload, nodes, "record", replays)
        if rec["out"] != eager["out"]:
            raise SystemExit(f"{workload}: compiled output {rec['out']!r} differs from eager {eager['out']!r}")
        n = rec["nodes"]
        rows.append(
            f"| {workload} | {n:,} | {eager['peak_mib']:,.0f} MiB | {rec['peak_mib']:,.0f} MiB "
            f"| {rec['peak_mib'] * 1048576 / n / 1000:.2f} kB | {rec['seconds']:.2f} s "
            f"| {1e3 * rec['replay']:.1f} ms | {1e3 * eager['seconds']:.1f} ms |"
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tanh-nodes", type=int, default=300_000)
    parser.add_argument("--chain-nodes", type=int, default=200_000)
    parser.add_argument("--replays", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="small graphs (CI): checks, measures nothing")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        workload, nodes, mode, replays = args.child
        print(json.dumps(child(workload, int(nodes), mode, int(replays))))
        return 0
    sizes = {"tanh-sum": args.tanh_nodes, "sin-chain": args.chain_nodes}
    if args.smoke:
        sizes = {"tanh-sum": 4_000, "sin-chain": 3_000}
    print("\n".join(report(sizes, 1 if args.smoke else args.replays)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
