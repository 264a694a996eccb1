#!/usr/bin/env python3
"""Python `jsonschema` on the same inputs as `pramagentctl bench-schema` (parse included).

Usage: python3 Benchmarks/schema/bench_python_jsonschema.py [--seconds 3]
Prints p50/p99 in microseconds per validation, like the Swift side.
"""
import json, os, sys, time
import jsonschema

here = os.path.dirname(os.path.abspath(__file__))
seconds = float(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 3.0

def bench(name, schema_file, instance_file):
    schema = json.load(open(os.path.join(here, schema_file)))
    text = open(os.path.join(here, instance_file)).read()
    validator = jsonschema.Draft202012Validator(schema)   # compiled once, like ours
    assert validator.is_valid(json.loads(text))
    samples = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t0 = time.perf_counter_ns()
        ok = validator.is_valid(json.loads(text))
        samples.append(time.perf_counter_ns() - t0)
    samples.sort()
    p = lambda q: samples[min(len(samples) - 1, int(len(samples) * q))] / 1000
    print(f"python-jsonschema {jsonschema.__version__} {name}: {len(samples)} runs, p50 {p(0.5):.2f} us, p99 {p(0.99):.2f} us")

bench("payment", "payment.schema.json", "payment.instance.json")
bench("order-5KiB", "order.schema.json", "order.instance.json")
