#!/usr/bin/env python3
"""Independent verifier for goal-ledger exports (events/README.md, "Verifying").

Usage: python3 verify.py EXPORT.jsonl [--digest SEQ:HASH]
       python3 verify.py DATA_DIR/log [--digest SEQ:HASH]     (a data directory's segments)
       python3 verify.py SEGMENT.jsonl SEGMENT.jsonl ...       (read as one export, in order)
Needs only the `blake3` package from PyPI. Prints the head digest and exits 0 when the records
verify; otherwise names the first bad record and exits 3. A line that starts with a zero byte
ends the records (the space a data directory's active segment has allocated past them).
"""
import json
import os
import sys

from blake3 import blake3

ZERO = "0" * 64


def lines(paths):
    """The lines of the files, in order, up to the first that starts with a zero byte."""
    for path in paths:
        with open(path, "rb") as f:
            for line in f:
                if line.startswith(b"\0"):
                    return
                yield line


def files(args):
    """The files the arguments name: a folder stands for its *.jsonl files in name order."""
    out = []
    for arg in args:
        if os.path.isdir(arg):
            out += sorted(os.path.join(arg, n) for n in os.listdir(arg) if n.endswith(".jsonl"))
        else:
            out.append(arg)
    return out


def verify(paths, digest=None):
    want_seq, want_hash = (None, None)
    if digest:
        seq, _, hsh = digest.partition(":")
        want_seq, want_hash = int(seq), hsh
    prev, n = ZERO, 0
    for line in lines(paths):
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
    if not args:
        sys.exit(__doc__)
    bad, reason = verify(files(args), digest)
    if bad is not None:
        print(f"FAILED at record {bad}: {reason}")
        sys.exit(3)
