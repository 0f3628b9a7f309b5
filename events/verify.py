#!/usr/bin/env python3
"""Independent verifier for goal-ledger exports (events/README.md, "Verifying").

Usage: python3 verify.py EXPORT.jsonl [--digest SEQ:HASH]
Needs only the `blake3` package from PyPI. Prints the head digest and exits 0 when the file
verifies; otherwise names the first bad record and exits 3.
"""
import json
import sys

from blake3 import blake3

ZERO = "0" * 64


def verify(path, digest=None):
    want_seq, want_hash = (None, None)
    if digest:
        seq, _, hsh = digest.partition(":")
        want_seq, want_hash = int(seq), hsh
    prev, n = ZERO, 0
    with open(path, "rb") as f:
        for line in f:
            if not line.endswith(b"\n"):
                return n + 1, "the file does not end with a newline (truncated?)"
            raw = line[:-1]
            n += 1
            try:
                record = json.loads(raw)
            except ValueError as e:
                return n, f"not JSON: {e}"
            if not isinstance(record, dict) or record.get("seq") != n:
                return n, f"expected seq {n}"
            if record.get("prev") != prev:
                return n, f"prev does not match the hash of record {n - 1}"
            prev = blake3(raw).hexdigest()
            if want_seq == n and prev != want_hash:
                return n, f"record {n} hashes to {prev}, the digest says {want_hash}"
    if want_seq is not None and want_seq > n:
        return n + 1, f"the file ends at {n} but the digest vouches for {want_seq} records"
    print(f"ok: {n} records; head {n}:{prev}")
    return None, None


if __name__ == "__main__":
    args = sys.argv[1:]
    digest = None
    if "--digest" in args:
        i = args.index("--digest")
        digest = args[i + 1]
        del args[i : i + 2]
    if len(args) != 1:
        sys.exit(__doc__)
    bad, reason = verify(args[0], digest)
    if bad is not None:
        print(f"FAILED at record {bad}: {reason}")
        sys.exit(3)
