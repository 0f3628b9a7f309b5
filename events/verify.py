#!/usr/bin/env python3
"""Independent verifier for goal-ledger exports, slices and proofs (events/README.md).

Usage: python3 verify.py EXPORT.jsonl [--digest SEQ:HASH] [--checkpoint CP_FILE --key VKEY]
       python3 verify.py DATA_DIR/log ...           (a folder: its *.jsonl files in name order)
       python3 verify.py SEG1.jsonl SEG2.jsonl ...  (read as one export, in order)
       python3 verify.py SLICE.jsonl --proof SLICE.jsonl.tlog-proof --key VKEY
       python3 verify.py --proof RECORD.tlog-proof --key VKEY
       python3 verify.py --consistency OLD_CP NEW_CP PROOF_FILE --key VKEY
VKEY: the key's text (name+id+base64), or a file holding it. Needs `blake3` and `cryptography`
from PyPI. Exit 0: verified; 3: failed (naming the first bad record if there is one); 2: usage.
It applies the rules of src/record.rs, src/ledger/{audit,tree_check,slice}.rs and src/proofs/,
and names the same record as `goal-ledger verify`.
"""
import argparse
import base64
import hashlib
import json
import os
import re
import sys
import unicodedata

from blake3 import blake3
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ZERO = "0" * 64
MAX_RECORD_BYTES = 32 * 1024
U64 = 2**64 - 1
HEX64 = re.compile(rb"[0-9a-f]{64}")
DECIMAL = re.compile(r"0|[1-9][0-9]*")  # no sign, no leading zero
# Unicode White_Space: what Rust's trim() removes, and what a key name must not hold.
SPACE = ("\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
         "\u2009\u200a\u2028\u2029\u202f\u205f\u3000")

class Failed(Exception):
    """A failure that names no record (signature, proof, format): `FAILED: why`, exit 3."""

class Usage(Exception):
    """Bad arguments, key or digest, or an unreadable file: exit 2."""

def need(condition, why):
    if not condition:
        raise ValueError(why)

# ---- A record's seq and prev (Rust: record::read_link); ValueError when unreadable ----

class Members(list):
    """A JSON object, as its list of (name, value): a name may come twice."""

class Int(str):
    """A JSON integer's text."""

def not_json(word):  # NaN, Infinity: Python's json reads them, JSON has none
    raise ValueError(f"{word} is not JSON")

def read_link(b):
    # As written: `{"seq":N,` (1 to 19 digits, no leading 0) ... `,"prev":"<64 hex>"}`, read in
    # place; the bytes between are not parsed (the hash covers them).
    rest, end = b[7:], b[:-2]
    digits = len(rest) - len(rest.lstrip(b"0123456789"))
    if (b.startswith(b'{"seq":') and 1 <= digits <= 19 and rest[digits:digits + 1] == b","
            and rest[:1] != b"0" and b.endswith(b'"}') and len(end) >= 64
            and end[:-64].endswith(b',"prev":"') and HEX64.fullmatch(end[-64:])):
        return int(rest[:digits]), end[-64:].decode()
    # Otherwise as serde_json reads `struct Link { seq: u64, prev: RecordHash }`: an object with
    # `seq` and `prev` once each, other members ignored (their strings' bytes unchecked), or an
    # array [seq, prev]. Integers are kept as text: only seq's value is read.
    try:
        value = json.loads(b.decode("utf-8", "surrogateescape"), object_pairs_hook=Members,
                           parse_int=Int, parse_constant=not_json)
    except RecursionError:
        raise ValueError("nested deeper than Python's json reads")
    if isinstance(value, Members):
        names = [name for name, _ in value]
        need(not any("\ud800" <= c <= "\udfff" for n in names for c in n), "a name is not UTF-8")
        for field in ("seq", "prev"):
            need(names.count(field) == 1, f"missing or duplicate field `{field}`")
        value = [dict(value)["seq"], dict(value)["prev"]]
    need(isinstance(value, list) and len(value) == 2, "not an object with seq and prev")
    seq, prev = value
    need(isinstance(seq, Int) and DECIMAL.fullmatch(seq) and int(seq) <= U64,
         "seq is not an unsigned 64-bit integer")
    need(type(prev) is str and re.fullmatch("[0-9a-f]{64}", prev), "prev is not 64 lowercase hex")
    return int(seq), prev

# ---- The chain (Rust: record::ChainCheck, for records without storage keys) ----

class ChainCheck:
    """Takes records in order and names the first bad one. When record k does not link back,
    record k-1 or record k was altered: the next record tells (it links to k: k-1 changed;
    it does not: k did). A file has no head to tell at its end: k-1 is named."""

    def __init__(self, against=None, start=1, prev=ZERO):
        self.next_seq, self.prev_hash, self.against = start, prev, against  # against: (seq, hash)
        self.pending = None  # (seq, hash, expected prev) of a record that does not link back
        self.bad = None  # (seq, reason) of the first bad record

    def fail(self, seq, reason):
        self.bad = self.bad or (seq, reason)

    def push(self, b):
        if self.bad:
            return
        n = self.next_seq  # the position, as long as every record so far is good
        try:
            seq, prev = read_link(b)
        except ValueError as e:
            self.resolve_pending()  # first: a record that did not link back is named
            return self.fail(n, f"record {n} is unreadable: not a record: {e}")
        h = blake3(b).hexdigest()
        if self.pending:
            p = self.pending[0]
            if p == 1:
                return self.fail_first()
            if prev == self.pending[1]:
                return self.fail(p - 1, f"record {p - 1} was altered: its hash no longer matches "
                                        f"the prev of record {p}")
            return self.fail(p, f"record {p} was altered: it links neither back to {p - 1} nor "
                                f"forward to {p + 1}")
        if seq != n:
            return self.fail(n, f"record at position {n} says it is seq {seq}")
        if len(b) > MAX_RECORD_BYTES:
            return self.fail(n, f"record {n} is {len(b)} bytes; the limit is {MAX_RECORD_BYTES}")
        if self.against and self.against[0] == seq and self.against[1] != h:
            return self.fail(seq, f"the log no longer holds the prefix of digest {self.digest()}: "
                                  f"record {seq} now hashes to {h}; it was rewritten at or before {seq}")
        if prev != self.prev_hash:
            self.pending = (seq, h, self.prev_hash)
        self.prev_hash, self.next_seq = h, seq + 1

    def fail_first(self):
        """Record 1 does not link to the empty log: there is no record before it to blame."""
        self.fail(1, "record 1 was altered: its prev is not 64 zeros (the first record links "
                     "to nothing)")

    def resolve_pending(self):
        if self.pending:
            p, _, expected = self.pending
            self.pending = None
            if p == 1:
                return self.fail_first()
            self.fail(p - 1, f"record {p - 1} does not match the prev of record {p} ({expected} "
                             f"expected); one of the two was altered")

    def digest(self):
        return f"{self.against[0]}:{self.against[1]}"

    def finish(self):
        """-> (last seq read, its hash, first bad record or None)."""
        last = self.next_seq - 1
        self.resolve_pending()
        if self.against and self.against[0] > last:
            self.fail(last + 1, f"the log ends at record {last} but digest {self.digest()} vouches "
                                f"for {self.against[0]} records: it was truncated")
        return last, self.prev_hash, self.bad

def earlier(bad, other):
    """Rust's VerifyReport::fail_at: `other` if it names an earlier record (a tie keeps `bad`)."""
    return other if other and (bad is None or other[0] < bad[0]) else bad

def cut_short(seq):
    return seq, f"record {seq} is not followed by a newline: the file was cut short"

def lines(paths):
    """(bytes, ends with a newline) of each line of the files read as one stream. A line that
    starts with a zero byte ends it (a data directory's preallocated segment tail); a final
    empty line is not a record."""
    line = b""
    for path in paths:
        with open(path, "rb") as f:
            for piece in f:  # up to and with a "\n", or to the file's end
                line += piece
                if line[:1] == b"\0":
                    return
                if line.endswith(b"\n"):
                    yield line[:-1], True
                    line = b""
    if line:
        yield line, False

def files(args):
    """The files the arguments name: a folder stands for its *.jsonl files in name order."""
    out = []
    for arg in args:
        if os.path.isdir(arg):
            names = [n for n in os.listdir(arg) if n.endswith(".jsonl") and n != ".jsonl"]
            out += sorted(os.path.join(arg, n) for n in names)
        else:
            out.append(arg)
    return out

# ---- The Merkle tree (RFC 9162, SHA-256) ----

def sha256(*parts):
    return hashlib.sha256(b"".join(parts)).digest()

def leaf_hash(record):  # the record's exact bytes, without the newline
    return sha256(b"\0", record)

def node_hash(left, right):
    return sha256(b"\1", left, right)

class Tree:
    """Grown a leaf at a time: the roots of its perfect subtrees, largest first."""

    def __init__(self):
        self.size, self.peaks = 0, []

    def push(self, leaf):
        self.size, n = self.size + 1, self.size + 1
        self.peaks.append(leaf)
        while n % 2 == 0:  # two subtrees of the same size make one
            right = self.peaks.pop()
            self.peaks.append(node_hash(self.peaks.pop(), right))
            n //= 2

    def root(self):
        """The subtrees joined right to left, as RFC 9162 splits at the largest power of 2."""
        root = self.peaks[-1] if self.peaks else sha256(b"")
        for peak in reversed(self.peaks[:-1]):
            root = node_hash(peak, root)
        return root

def verify_export(paths, against=None, checkpoint=None):
    """Rust's verify_lines_against: -> (first bad record or None, last seq, its hash, root).
    `checkpoint` (size, root, what): the root the first `size` records must have."""
    chain, tree, n, last_cut = ChainCheck(against), Tree(), 0, None

    def tree_check(bad):  # at the checkpoint's size, the roots must match
        size = tree.size
        if not bad and checkpoint and checkpoint[0] == size and checkpoint[1] != tree.root():
            return max(size, 1), (f"the first {size} records do not have the root of "
                                  f"{checkpoint[2]}: the log was rewritten at or before record {size}")
        return bad
    tree_bad = tree_check(None)
    for b, newline in lines(paths):
        n += 1
        chain.push(b)
        tree.push(leaf_hash(b))
        tree_bad, last_cut = tree_check(tree_bad), None if newline else n
        if chain.bad:  # the chain's failure ends the walk; the tree's do not
            break
    last, head, bad = chain.finish()
    if not tree_bad and checkpoint and checkpoint[0] > tree.size:
        tree_bad = tree.size + 1, (f"the log ends at record {tree.size} but {checkpoint[2]} "
                                   f"vouches for {checkpoint[0]} records: it was truncated")
    bad = earlier(earlier(bad, last_cut and cut_short(last_cut)), tree_bad)
    return bad, last, head, tree.root()

# ---- Proofs (Rust: proofs::check; RFC 9162 §2.1.3.2, §2.1.4.2); ValueError when false ----

def inclusion(index, size, leaf, proof, root):
    """`leaf` is leaf `index` of the tree of `size` leaves with `root`."""
    need(index < size, f"index {index} is outside a tree of {size} leaves")
    need(len(leaf) == 32 and len(root) == 32, "a leaf hash and a root are 32 bytes (SHA-256)")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        need(sn != 0, "the inclusion proof is longer than the tree is deep")
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    need(sn == 0, "the inclusion proof is shorter than the tree is deep")
    need(r == root, "the inclusion proof leads to another root: the leaf, its index or the "
                    "proof is wrong")

def consistency(size1, size2, proof, root1, root2):
    """The tree of `size1` leaves with `root1` is a prefix of the one of `size2` with `root2`.
    Our edge rules: from size 0 is refused; equal sizes need an empty proof and equal roots."""
    need(size1 != 0, "a consistency proof from the empty tree proves nothing")
    need(size1 <= size2, f"size {size1} is larger than size {size2}")
    if size1 == size2:
        need(not proof, "between equal sizes the proof must be empty")
        return need(root1 == root2, f"two different roots for the same size {size1}: the log forked")
    need(proof, "the consistency proof is empty")
    path = ([root1] if size1 & (size1 - 1) == 0 else []) + list(proof)  # size1 a power of 2
    fn, sn = size1 - 1, size2 - 1
    while fn % 2 == 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        need(sn != 0, "the consistency proof is longer than it should be")
        if fn % 2 == 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    need(sn == 0, "the consistency proof is shorter than it should be")
    need(fr == root1, f"the proof does not lead to the root of size {size1}: the older tree is "
                      f"not a prefix of the newer")
    need(sr == root2, f"the proof does not lead to the root of size {size2}: the newer tree does "
                      f"not extend the older")

# ---- Keys, signed notes, checkpoints, proof files (C2SP; Rust: proofs::{note,proof_file}) ----

def b64(text):
    """Standard base64 as Rust's STANDARD engine reads it: padded and canonical."""
    data = base64.b64decode(text, validate=True)
    need(base64.b64encode(data).decode() == text, f"{text!r} is not canonical base64")
    return data

def check_name(name):
    need(name and "+" not in name and not any(c in SPACE for c in name),
         f"{name!r} cannot name a key: it must be non-empty, without spaces or '+'")

def parse_vkey(text):
    """`name+<8 hex id>+base64(0x01 || Ed25519 public key)` -> (name, id, public key)."""
    parts = text.strip(SPACE).split("+", 2)  # the base64 may hold '+' itself
    need(len(parts) == 3, f"{text.strip(SPACE)!r} is not a verifier key (name+id+key)")
    name, kid, key = parts
    check_name(name)
    need(re.fullmatch("[0-9a-fA-F]{8}", kid), f"the key id {kid!r} is not 8 hex digits")
    raw = b64(key)
    need(raw[:1] == b"\x01" and len(raw) == 33, "not an Ed25519 key (type 0x01, 32 bytes)")
    need(sha256(name.encode(), b"\n\x01", raw[1:])[:4] == bytes.fromhex(kid),  # C2SP's key id
         f"the key id {kid} does not belong to this name and key")
    return name, bytes.fromhex(kid), raw[1:]

# ed25519-dalek's verify_strict (Rust) refuses a small-order public key or R; OpenSSL does not.
# Every encoding of a small-order point, the sign bit cleared (as libsodium lists them):
SMALL_ORDER = {bytes.fromhex(h) for h in (
    "00" * 32, "01" + "00" * 31, "ec" + "ff" * 30 + "7f", "ed" + "ff" * 30 + "7f",
    "ee" + "ff" * 30 + "7f", "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")}

def ed25519_verifies(public, sig, message):
    if any(p[:31] + bytes([p[31] & 0x7F]) in SMALL_ORDER for p in (public, sig[:32])):
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(sig, message)
        return True
    except (InvalidSignature, ValueError):
        return False

def open_note(note, key):
    """A signed note's text: up to and with the newline before its LAST blank line. A signature
    with the key's name and id must verify (and none fail); other keys' are ignored."""
    name, kid, public = key
    need(not any(c != "\n" and unicodedata.category(c) == "Cc" for c in note),
         "a signed note holds no control characters but newlines")
    at = note.rfind("\n\n")
    need(at >= 0 and note.endswith("\n"), "not a signed note: text, blank line, signature lines")
    text, signatures, found = note[:at + 1], note[at + 2:-1].split("\n"), False
    need(len(signatures) <= 64, "more than 64 signatures")
    for line in signatures:  # `— <name> base64(<key id> <signature>)`
        signer, space, sig = line[2:].partition(" ")
        need(line.startswith("\u2014 ") and space, f"{line!r} is not a signature line (— name base64)")
        check_name(signer)
        sig = b64(sig)
        if signer == name and sig[:4] == kid:
            need(len(sig) == 68 and ed25519_verifies(public, sig[4:], text.encode()),
                 f"the signature of {name} does not verify: the note was altered or signed by "
                 f"another key")
            found = True
    need(found, f"the note carries no signature of the key {name}+{kid.hex()}")
    return text

def signed_checkpoint(note, key, what):
    """(size, root, what) of a checkpoint signed by `key`, whose origin line is the key's name."""
    try:
        lines = open_note(note, key).split("\n")  # origin, size, root, extension lines
        need(len(lines) >= 3 and lines[0], "a checkpoint has three lines: origin, size, root")
        origin, size, root = lines[:3]
        need(DECIMAL.fullmatch(size) and int(size) <= U64, f"{size!r} is not a tree size")
        need(len(b64(root)) == 32, f"{root!r} is not a base64 SHA-256 root")
        need(origin == key[0], f'its origin is "{origin}" but the key is "{key[0]}"\'s')
    except ValueError as e:
        raise Failed(f"{what}: {e}")
    return int(size), b64(root), what

def decode_hashes(lines):
    return [b64(line.strip(SPACE)) for line in lines]

def parse_proof(text):
    """c2sp.org/tlog-proof@v1: the header, [`extra <base64>`: here the record's bytes], `index N`
    (seq - 1), hash lines, a blank line, the signed checkpoint. -> (extra, index, hashes, note)."""
    head, blank, checkpoint = text.partition("\n\n")
    lines = head.split("\n") + [""]
    extra, at = (b64(lines[1][6:]), 2) if lines[1].startswith("extra ") else (None, 1)
    index = lines[at][6:] if lines[at].startswith("index ") else ""
    need(blank and lines[0] == "c2sp.org/tlog-proof@v1" and DECIMAL.fullmatch(index)
         and int(index) < U64, "not a c2sp.org/tlog-proof@v1 proof")
    return extra, int(index), decode_hashes(lines[at + 1:-1]), checkpoint

# ---- Slices, and the proof of one record (Rust: ledger/slice.rs) ----

def check_inclusion(record, proof, checkpoint):
    """None if `record` is leaf `index` of the checkpoint's tree; else (seq, reason), named by
    the record's own seq once it is readable."""
    extra, index, hashes, _ = proof
    try:
        seq = read_link(record)[0]
    except ValueError as e:
        return index + 1, f"record {index + 1} is unreadable: not a record: {e}"
    if extra is not None and extra != record:
        return seq, f"the proof is for other bytes than record {seq}: it proves another record"
    if seq != index + 1:
        return seq, f"the proof is for record {index + 1} (index {index}) but the record is seq {seq}"
    try:
        inclusion(index, checkpoint[0], leaf_hash(record), hashes, checkpoint[1])
    except ValueError as e:
        return seq, f"record {seq} is not in {checkpoint[2]} of {checkpoint[0]} records: {e}"

def verify_slice(paths, proof, checkpoint):
    """Records A..B: the chain from A (resumed at A's own seq and prev) to B is intact, and B
    is in the checkpoint. -> (first bad record or None, A, B)."""
    it = lines(paths)
    first = next(it, None)
    if first is None:
        return (1, "the slice holds no records"), 1, 0
    try:
        start, prev = read_link(first[0])
    except ValueError:
        start, prev = 1, ZERO
    chain, last, count = ChainCheck(None, max(start, 1), prev), first, 1
    chain.push(first[0])
    for line in it:
        if chain.bad:
            break
        last, count = line, count + 1
        chain.push(line[0])
    end, _, bad = chain.finish()
    if not last[1]:
        bad = earlier(bad, cut_short(max(start, 1) + count - 1))
    if not bad and end != proof[1] + 1:
        bad = end, f"the slice ends at record {end} but its proof is for record {proof[1] + 1}"
    return earlier(bad, check_inclusion(last[0], proof, checkpoint)), end + 1 - count, end

# ---- Command line ----

def read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode()
    except (OSError, UnicodeDecodeError) as e:
        raise Usage(f"cannot read {path}: {e}")

def parse_args(argv):
    """-> (form, options, paths); exit 2 with the usage unless they make one of its forms."""
    usage = __doc__[__doc__.index("Usage: ") + 7:]  # argparse writes "usage: " before it
    parser = argparse.ArgumentParser(usage=usage, add_help=False, allow_abbrev=False)
    parser.add_argument("paths", nargs="*")
    for option in ("--digest", "--checkpoint", "--key", "--proof"):
        parser.add_argument(option)
    parser.add_argument("--consistency", nargs=3)
    args = vars(parser.parse_intermixed_args(argv))
    paths, given = args.pop("paths"), {k for k, value in args.items() if value is not None}
    if given == {"consistency", "key"} and not paths:
        return "consistency", args, paths
    if given == {"proof", "key"}:
        return "proof", args, paths
    if paths and given <= {"digest", "checkpoint", "key"} and ("key" in given) == ("checkpoint" in given):
        return "export", args, paths
    parser.error("use one of the forms above")

def main(argv):
    form, opts, paths = parse_args(argv)
    key = opts["key"]
    if key is not None:
        try:
            key = parse_vkey(read_text(key) if os.path.isfile(key) else key)
        except ValueError as e:
            raise Usage(f"--key: {e}")
    if form == "consistency":
        old, new, proof = opts["consistency"]
        old = signed_checkpoint(read_text(old), key, f"the checkpoint {old}")
        new = signed_checkpoint(read_text(new), key, f"the checkpoint {new}")
        try:  # one base64 hash a line, blank lines ignored
            hashes = decode_hashes(h for h in read_text(proof).split("\n") if h.strip(SPACE))
            consistency(old[0], new[0], hashes, old[1], new[1])
        except ValueError as e:
            raise Failed(e)
        print(f"ok: the checkpoint of {old[0]} records is a prefix of the checkpoint of {new[0]} "
              f"records signed by {key[0]}")
        return 0
    paths = files(paths)
    for path in paths:  # every file is readable before any is read
        open(path, "rb").close()
    if form == "proof":
        try:
            proof = parse_proof(read_text(opts["proof"]))
        except ValueError as e:
            raise Failed(e)
        cp = signed_checkpoint(proof[3], key, f"the checkpoint in {opts['proof']}")
        signed = f"in the checkpoint of {cp[0]} records signed by {key[0]}"
        if paths:
            bad, start, end = verify_slice(paths, proof, cp)
            done = f"records {start}–{end} ({end + 1 - start} records) are {signed}"
        elif proof[0] is None:
            raise Usage("this proof carries no record (no extra line): check it with its slice")
        else:
            bad = check_inclusion(proof[0], proof, cp)
            done = f"record {proof[1] + 1} is {signed}\n{proof[0].decode(errors='replace')}"
    else:
        against = checkpoint = None
        if opts["digest"] is not None:
            seq, _, hsh = opts["digest"].partition(":")
            if not (re.fullmatch(r"\+?[0-9]+", seq) and int(seq) <= U64
                    and HEX64.fullmatch(hsh.encode())):
                raise Usage(f"invalid digest {opts['digest']!r}: use SEQ:HASH as printed by "
                            f"`goal-ledger digest`")
            against = int(seq), hsh
        if opts["checkpoint"] is not None:
            cp = opts["checkpoint"]
            checkpoint = signed_checkpoint(read_text(cp), key, f"the checkpoint {cp}")
        bad, seq, head, root = verify_export(paths, against, checkpoint)
        done = f"{seq} records; head {seq}:{head}; root {base64.b64encode(root).decode()}"
    if bad:
        print(f"FAILED at record {bad[0]}: {bad[1]}")
        return 3
    print(f"ok: {done}")
    return 0

if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Failed as e:
        print(f"FAILED: {e}")
        sys.exit(3)
    except Usage as e:
        print(e, file=sys.stderr)
        sys.exit(2)
    except OSError as e:
        print(f"cannot read {e.filename}: {e.strerror}", file=sys.stderr)
        sys.exit(2)
