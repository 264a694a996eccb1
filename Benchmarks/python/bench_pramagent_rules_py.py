#!/usr/bin/env python3
"""Python `pramagent` (PyPI 0.8.9) rules on the same texts as `pramagentctl bench-scan`:
the bundled benign corpus (redteam/benign.jsonl) joined in order and cut to 1 KiB and 16 KiB.
Every shipped rule (pramagent.rules.ALL_RULES) through SafetyLayer.evaluate, as its docs show.

Usage: pip install pramagent==0.8.9 && python3 Benchmarks/python/bench_pramagent_rules_py.py [--seconds 3]
"""
import json, os, sys, time
from pramagent import SafetyLayer
from pramagent.rules import ALL_RULES

seconds = float(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 3.0
root = os.path.join(os.path.dirname(__file__), "..", "..")
lines = [o["text"] for o in (json.loads(l) for l in open(os.path.join(root, "redteam", "benign.jsonl"), encoding="utf-8") if l.strip()) if o.get("scope", "text") == "text"][:137]  # the ordinary-prose set

def prose(size):
    out, i = "", 0
    while len(out.encode()) < size:
        out += lines[i % len(lines)] + " "
        i += 1
    return out.encode()[:size].decode("utf-8", "ignore")

layer = SafetyLayer(rules=ALL_RULES)
print(f"python pramagent rules: {len(ALL_RULES)} rules")
for size in (1 << 10, 16 << 10):
    text = prose(size)
    verdict, results = layer.evaluate(text)
    fired = [r.rule_id for r in results if r.fired]
    samples = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t0 = time.perf_counter_ns()
        layer.evaluate(text)
        samples.append(time.perf_counter_ns() - t0)
    samples.sort()
    p = lambda q: samples[min(len(samples) - 1, int(len(samples) * q))] / 1000
    print(f"python {size >> 10} KiB: {len(samples)} runs, p50 {p(0.5):.1f} us, p99 {p(0.99):.1f} us, verdict {verdict}, fired {fired[:6]}")
