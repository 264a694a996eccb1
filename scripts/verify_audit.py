#!/usr/bin/env python3
"""Independent verifier for a pramagent audit database (see docs/audit.md).

Usage: python3 scripts/verify_audit.py AUDIT.db [HEAD_SEQ HEAD_HASH_HEX]
Exit 0 when the chain verifies (and contains the given head), 1 otherwise.
Uses only the Python standard library; reads the file, never writes it.
"""
import hashlib, sqlite3, struct, sys

DOMAIN = b"pramagent-audit-v1\x00"

def verify(path, head=None):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    expected, prev, last = 1, bytes(32), (0, bytes(32))
    for seq, prev_hash, stored, record in db.execute("SELECT seq, prev_hash, hash, record FROM audit ORDER BY seq"):
        if seq != expected:
            return f"rows {expected}..{seq - 1} missing (deleted)"
        if hashlib.sha256(DOMAIN + struct.pack(">Q", seq) + prev_hash + record).digest() != stored:
            return f"row {seq}: content does not match its hash"
        if prev_hash != prev:
            return f"row {seq}: does not chain to row {seq - 1}"
        if head and head[0] == seq and head[1] != stored:
            return f"row {seq}: hash differs from the published head"
        prev, last, expected = stored, (seq, stored), seq + 1
    if head and head[0] > last[0]:
        return f"log ends at row {last[0]}, published head is row {head[0]} (truncated)"
    print(f"ok: {last[0]} rows, head {last[0]} {last[1].hex()}")
    return None

if __name__ == "__main__":
    head = (int(sys.argv[2]), bytes.fromhex(sys.argv[3])) if len(sys.argv) > 3 else None
    problem = verify(sys.argv[1], head)
    if problem:
        print("FAILED:", problem)
        sys.exit(1)
