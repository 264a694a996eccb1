#!/usr/bin/env python3
"""The Python `pramagent` package (PyPI, 0.8.9) deciding the same call as `pramagentctl bench`:
an allowed `lookup_customer` read with a 5-property schema, in process, JSON parse included.

Usage: pip install pramagent==0.8.9 && python3 Benchmarks/python/bench_pramagent_py.py [--seconds 3]
"""
import json, sys, time
import pramagent

seconds = float(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 3.0
schema = {
    "type": "object", "required": ["customer_id"], "additionalProperties": False,
    "properties": {
        "customer_id": {"type": "string", "pattern": "^cus_[A-Za-z0-9]{8,32}$"},
        "fields": {"type": "array", "items": {"enum": ["name", "email", "plan", "created_at"]}, "uniqueItems": True, "maxItems": 4},
        "include_history": {"type": "boolean"},
        "history_limit": {"type": "integer", "minimum": 1, "maximum": 100},
        "locale": {"type": "string", "maxLength": 16},
    },
}
guard = pramagent.ToolGuardLayer(policies=[pramagent.ToolPolicy(name="lookup_customer", schema=schema, side_effect="read",
                                                               allowed_tenants={"demo"})])
text = '{"customer_id":"cus_12345678","fields":["name","plan"],"include_history":false,"history_limit":5,"locale":"en"}'
first = guard.evaluate("lookup_customer", json.loads(text), tenant_id="demo", session_id="bench")
print("verdict:", first.verdict, first.reason)
samples = []
end = time.perf_counter() + seconds
while time.perf_counter() < end:
    t0 = time.perf_counter_ns()
    guard.evaluate("lookup_customer", json.loads(text), tenant_id="demo", session_id="bench")
    samples.append(time.perf_counter_ns() - t0)
samples.sort()
p = lambda q: samples[min(len(samples) - 1, int(len(samples) * q))] / 1000
print(f"python pramagent {pramagent.__version__ if hasattr(pramagent, '__version__') else '?'}: {len(samples)} calls in {seconds:.0f} s "
      f"({len(samples) / seconds:.0f}/s), p50 {p(0.5):.1f} us, p99 {p(0.99):.1f} us")
