"""Tests of events/verify.py: python3 -m unittest events/test_verify.py (from the repository).

Builds exports, tampers with them and checks the record named (the verdicts of Rust's
ChainCheck, worked out by hand in each test); checks the proof functions against
transparency-dev/merkle's vectors and the signed-note functions against C2SP's example; runs the
command line on signed checkpoints, slices and proofs made here with a fresh key.
"""
import base64
import glob
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import unittest

from blake3 import blake3
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import verify as v  # noqa: E402

SCRIPT = os.path.join(HERE, "verify.py")
SAMPLE = os.path.join(HERE, "samples", "quarterly-goals.jsonl")
VECTORS = "/work/shared/vectors/transparency-dev-merkle/testdata"
SIGNED_NOTE_SPEC = "/work/shared/specs/c2sp/signed-note.md"


def record(seq, prev, note="x"):
    """A record in the program's form: `{"seq":N,` first and `"prev":"…"}` last."""
    return (f'{{"seq":{seq},"stream":"goal:g","version":{seq},"id":"e{seq}","type":"Noted",'
            f'"payload":{{"note":"{note} {seq}"}},"prev":"{prev}"}}').encode()


def chain(n, first=1, prev=v.ZERO):
    out = []
    for seq in range(first, first + n):
        out.append(record(seq, prev))
        prev = blake3(out[-1]).hexdigest()
    return out


def rechain(records, start):
    """Records with every prev from `start` (an index) on made to match again."""
    out = list(records[:start])
    for r in records[start:]:
        seq, _ = v.read_link(r)
        prev = blake3(out[-1]).hexdigest() if out else v.ZERO
        out.append(r[:-66] + prev.encode() + b'"}')
    return out


def h(b):
    return blake3(b).hexdigest()


# RFC 9162 §2.1 by its definitions (independent of verify.Tree): roots, paths and proofs.
def mth(leaves):
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << (len(leaves) - 1).bit_length() - 1
    return v.node_hash(mth(leaves[:k]), mth(leaves[k:]))


def path(m, leaves):
    if len(leaves) == 1:
        return []
    k = 1 << (len(leaves) - 1).bit_length() - 1
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def subproof(m, leaves, b):
    n = len(leaves)
    if m == n:
        return [] if b else [mth(leaves)]
    k = 1 << (n - 1).bit_length() - 1
    if m <= k:
        return subproof(m, leaves[:k], b) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


class Key:
    """A fresh Ed25519 key: its vkey, and notes it signs."""

    def __init__(self, name="example.com/ledger"):
        self.name, self.private = name, Ed25519PrivateKey.generate()
        self.public = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.id = hashlib.sha256(name.encode() + b"\n\x01" + self.public).digest()[:4]
        key = base64.b64encode(b"\x01" + self.public).decode()
        self.vkey = f"{name}+{self.id.hex()}+{key}"

    def sign(self, text, name=None, kid=None):
        sig = base64.b64encode((kid or self.id) + self.private.sign(text.encode())).decode()
        return f"{text}\n\u2014 {name or self.name} {sig}\n"

    def checkpoint(self, records, size=None, origin=None):
        size = len(records) if size is None else size
        root = mth([v.leaf_hash(r) for r in records[:size]])
        return self.sign(f"{origin or self.name}\n{size}\n{base64.b64encode(root).decode()}\n")


class Files(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def write(self, name, data):
        p = os.path.join(self.dir.name, name)
        with open(p, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
        return p

    def export(self, records, end=b"\n", name="export.jsonl"):
        return self.write(name, b"\n".join(records) + end)

    def named(self, records, end=b"\n", against=None, checkpoint=None):
        """(seq, reason) of the first bad record of an export, or None."""
        return v.verify_export([self.export(records, end)], against, checkpoint)[0]

    def run_cli(self, *args):
        p = subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True)
        return p.returncode, p.stdout + p.stderr


class TheChain(Files):
    def test_the_sample_verifies_with_the_root_rfc9162_defines(self):
        with open(SAMPLE, "rb") as f:
            records = f.read().split(b"\n")[:-1]
        bad, seq, head, root = v.verify_export([SAMPLE])
        self.assertEqual((bad, seq, head), (None, 217, h(records[-1])))
        self.assertEqual(root, mth([v.leaf_hash(r) for r in records]))

    def test_the_tree_has_rfc9162s_root_at_every_size(self):
        tree, leaves = v.Tree(), []
        self.assertEqual(tree.root(), hashlib.sha256(b"").digest())
        for i in range(70):
            leaves.append(v.leaf_hash(b"r%d" % i))
            tree.push(leaves[-1])
            self.assertEqual(tree.root(), mth(leaves), i)

    def test_an_altered_record_is_named_by_the_next_one_that_still_links_to_its_successor(self):
        records = chain(10)
        records[4] = records[4].replace(b"x 5", b"y 5")
        self.assertEqual(self.named(records), (5, "record 5 was altered: its hash no longer "
                                                  "matches the prev of record 6"))

    def test_a_record_whose_prev_changed_links_neither_way(self):
        records = chain(10)
        records[4] = records[4][:-3] + (b"1" if records[4][-3:-2] != b"1" else b"2") + b'"}'
        self.assertEqual(self.named(records), (5, "record 5 was altered: it links neither back "
                                                  "to 4 nor forward to 6"))

    def test_at_the_end_of_a_file_the_record_before_the_break_is_named(self):
        records = chain(10)
        expected = h(records[8])
        records[8] = records[8].replace(b"x 9", b"y 9")
        self.assertEqual(self.named(records), (9, f"record 9 does not match the prev of record 10 "
                                                  f"({h(records[8])} expected); one of the two "
                                                  f"was altered"))
        self.assertNotEqual(expected, h(records[8]))

    def test_the_last_record_altered_is_found_only_against_a_digest(self):
        records = chain(10)
        old = h(records[9])
        records[9] = records[9].replace(b"x 10", b"y 10")
        self.assertIsNone(self.named(records))
        bad = self.named(records, against=(10, old))
        self.assertEqual(bad, (10, f"the log no longer holds the prefix of digest 10:{old}: "
                                   f"record 10 now hashes to {h(records[9])}; it was rewritten "
                                   f"at or before 10"))

    def test_an_unreadable_record_after_a_broken_link_names_the_link_first(self):
        records = chain(10)
        records[4] = records[4].replace(b"x 5", b"y 5")
        records[6] = b"garbage"
        self.assertEqual(self.named(records)[0], 5)
        self.assertIn("does not match the prev of record 6", self.named(records)[1])
        records = chain(10)
        records[5] = b"garbage"  # nothing pending: record 6 itself
        self.assertEqual(self.named(records)[0], 6)
        records = chain(3) + [b"{not json"]
        self.assertEqual(self.named(records)[0], 4)
        self.assertTrue(self.named(records)[1].startswith("record 4 is unreadable: not a record: "))

    def test_a_missing_final_newline_names_the_last_record(self):
        records = chain(5)
        self.assertEqual(self.named(records, end=b""),
                         (5, "record 5 is not followed by a newline: the file was cut short"))
        # Cut inside the record: unreadable, the chain's reason wins the tie.
        bad = self.named(records[:4] + [records[4][:-10]], end=b"")
        self.assertEqual(bad[0], 5)
        self.assertIn("unreadable", bad[1])

    def test_records_cut_off_the_end_are_found_against_a_digest(self):
        records = chain(10)
        digest = (10, h(records[9]))
        self.assertIsNone(self.named(records, against=digest))
        self.assertEqual(self.named(records[:7], against=digest),
                         (8, f"the log ends at record 7 but digest 10:{digest[1]} vouches for 10 "
                             f"records: it was truncated"))
        # A missing newline on record 7 comes first.
        self.assertEqual(self.named(records[:7], end=b"", against=digest)[0], 7)

    def test_reordered_or_dropped_records_are_named_by_position(self):
        records = chain(10)
        swapped = records[:3] + [records[4], records[3]] + records[5:]
        self.assertEqual(self.named(swapped), (4, "record at position 4 says it is seq 5"))
        self.assertEqual(self.named(records[:3] + records[4:]),
                         (4, "record at position 4 says it is seq 5"))

    def test_a_rewritten_and_rechained_log_is_found_only_against_what_was_kept(self):
        records = chain(10)
        digest = (8, h(records[7]))
        cp = (6, mth([v.leaf_hash(r) for r in records[:6]]), "the checkpoint kept.cp")
        records[4] = records[4].replace(b"x 5", b"y 5")
        records = rechain(records, 5)
        self.assertIsNone(self.named(records))
        self.assertEqual(self.named(records, against=digest)[0], 8)
        self.assertEqual(self.named(records, checkpoint=cp),
                         (6, "the first 6 records do not have the root of the checkpoint "
                             "kept.cp: the log was rewritten at or before record 6"))
        # The tree's failure does not stop the walk: a break after it is not named earlier.
        self.assertEqual(self.named(records, against=digest, checkpoint=cp)[0], 6)
        broken = records[:8] + [b"garbage"] + records[9:]
        self.assertEqual(self.named(broken, checkpoint=cp)[0], 6)
        early = (3, mth([v.leaf_hash(r) for r in records[:3]]), "c")
        self.assertEqual(self.named(broken, checkpoint=early)[0], 9)

    def test_a_checkpoint_beyond_the_file_or_of_size_zero(self):
        records = chain(4)
        cp = (6, b"\0" * 32, "the checkpoint c")
        self.assertEqual(self.named(records, checkpoint=cp),
                         (5, "the log ends at record 4 but the checkpoint c vouches for 6 "
                             "records: it was truncated"))
        self.assertEqual(self.named(records, checkpoint=(0, b"\0" * 32, "c"))[0], 1)
        self.assertIsNone(self.named(records, checkpoint=(0, hashlib.sha256().digest(), "c")))
        # A tie: the newline rule is applied first.
        cp = (4, b"\0" * 32, "c")
        self.assertIn("not followed by a newline", self.named(records, b"", checkpoint=cp)[1])

    def test_a_record_over_32_kib_is_refused(self):
        big = record(1, v.ZERO, "x" * (v.MAX_RECORD_BYTES - len(record(1, v.ZERO, "")) + 1))
        self.assertEqual(len(big), v.MAX_RECORD_BYTES + 1)
        self.assertEqual(self.named([big]), (1, f"record 1 is {len(big)} bytes; the limit is 32768"))
        self.assertIsNone(self.named([big.replace(b"xx", b"x", 1)]))

    def test_record_one_with_another_prev_is_named_itself(self):
        records = chain(3, prev="1" * 64)
        self.assertEqual(self.named(records)[0], 1)
        self.assertEqual(self.named(records[:1])[0], 1)

    def test_segments_read_as_one_stream_up_to_a_zero_byte(self):
        data = b"\n".join(chain(6)) + b"\n"
        a = self.write("00000000000000000001.jsonl", data[:100])
        self.write("00000000000000000004.jsonl", data[100:] + b"\0" * 50 + b"junk\n")
        self.write("notes.txt", b"not a segment")
        self.assertEqual(v.verify_export(v.files([self.dir.name]))[:2], (None, 6))
        self.assertEqual(v.files([self.dir.name])[0], a)
        # An empty line is a record (unreadable); only what follows the last newline is not.
        self.assertEqual(self.named(chain(2) + [b""])[0], 3)
        self.assertIsNone(self.named(chain(2), end=b"\n"))


class ReadingALink(unittest.TestCase):
    """What Rust's read_link reads (in place, else as serde_json reads `Link`) and refuses."""
    Z = v.ZERO

    def readable(self, b):
        try:
            return v.read_link(b)
        except ValueError:
            return None

    def test_links_read_or_refused(self):
        z, zb = self.Z, self.Z.encode()
        cases = [
            (record(7, z), (7, z)),
            (b'{"seq":3,garbage,"prev":"' + zb + b'"}', (3, z)),  # in place: the middle unread
            (record(7, z).replace(b'"seq":7', b'"seq":07'), None),
            (record(7, z).replace(b'"seq":7', b'"seq":7.5'), None),
            (b'{"seq":0,"prev":"' + zb + b'"}', (0, z)),  # not in place (a leading 0), yet JSON
            (b'{"seq":18446744073709551615,"prev":"' + zb + b'"}', (2**64 - 1, z)),
            (b'{"seq":18446744073709551616,"prev":"' + zb + b'"}', None),
            (b'[5,"' + zb + b'"]', (5, z)),  # serde reads a struct from an array too
            (b'[5]', None), (b'[5,"' + zb + b'",1]', None), (b"null", None), (b"5", None),
            (b'{"prev":"' + zb + b'","seq":3}', (3, z)),
            (b' {"prev" : "' + zb + b'", "seq": 3}\t\r ', (3, z)),
            (b'{"prev":"' + zb + b'","seq":1,"seq":1}', None),
            (b'{"a":1,"a":2,"prev":"' + zb + b'","seq":1}', (1, z)),
            (b'{"prev":"' + zb + b'","seq":-0}', None), (b'{"prev":"' + zb + b'","seq":1e0}', None),
            (b'{"prev":"' + zb + b'","seq":"1"}', None), (b'{"prev":"' + zb + b'"}', None),
            (b'{"a":NaN,"prev":"' + zb + b'","seq":1}', None),
            (b'{"a":1' + b"0" * 5000 + b',"prev":"' + zb + b'","seq":1}', (1, z)),
            (b'{"\\ud800":1,"prev":"' + zb + b'","seq":1}', None),
            (b'{"a":{"\\ud800":"\\udc00"},"prev":"' + zb + b'","seq":1}', (1, z)),
            (b'{"a":"\xff","prev":"' + zb + b'","seq":1}', (1, z)),  # ignored: bytes unchecked
            (b'{"\xff":1,"prev":"' + zb + b'","seq":1}', None),
            (b'{"prev":"' + zb.upper().replace(b"0", b"A") + b'","seq":1}', None),
            (record(1, "A" * 64), None),
            (b'{"a":' + b"[" * 500 + b"]" * 500 + b',"prev":"' + zb + b'","seq":1}', (1, z)),
            (b'{"prev":"' + zb + b'","seq":1}x', None), (b'{"prev":"' + zb + b'","seq":1,}', None),
            (b'\xef\xbb\xbf{"prev":"' + zb + b'","seq":1}', None),
            (b'{"a":"\x01","prev":"' + zb + b'","seq":1}', None),  # a control character
            (b"", None),
        ]
        for b, want in cases:
            self.assertEqual(self.readable(b), want, b[:80])


class Proofs(unittest.TestCase):
    def vectors(self, kind):
        files = sorted(glob.glob(f"{VECTORS}/{kind}/**/*.json", recursive=True))
        self.assertGreater(len(files), 50)
        for f in files:
            with open(f) as fh:
                yield f, json.load(fh)

    @staticmethod
    def holds(check, *args):
        try:
            check(*args)
            return True
        except ValueError:
            return False

    def test_inclusion_vectors(self):
        d64 = base64.b64decode
        for f, t in self.vectors("inclusion"):
            proof = [d64(p) for p in t["proof"] or []]
            ok = self.holds(v.inclusion, t["leafIdx"], t["treeSize"], d64(t["leafHash"]), proof,
                            d64(t["root"]))
            self.assertEqual(ok, not t["wantErr"], f)

    def test_consistency_vectors(self):
        d64 = base64.b64decode
        for f, t in self.vectors("consistency"):
            proof = [d64(p) for p in t["proof"] or []]
            ok = self.holds(v.consistency, t["size1"], t["size2"], proof, d64(t["root1"]),
                            d64(t["root2"]))
            self.assertEqual(ok, not t["wantErr"], f)

    def test_every_proof_of_a_small_tree_holds_and_a_wrong_one_does_not(self):
        leaves = [v.leaf_hash(b"r%d" % i) for i in range(40)]
        for n in range(1, 40):
            root = mth(leaves[:n])
            for m in range(n):
                self.assertTrue(self.holds(v.inclusion, m, n, leaves[m], path(m, leaves[:n]), root))
                self.assertFalse(self.holds(v.inclusion, m, n, leaves[m - 1] if m else leaves[1],
                                            path(m, leaves[:n]), root))
            for m in range(1, n + 1):
                proof = subproof(m, leaves[:n], True)
                self.assertTrue(self.holds(v.consistency, m, n, proof, mth(leaves[:m]), root))
                if m < n:
                    self.assertFalse(self.holds(v.consistency, m, n, proof, root, root))


class Notes(unittest.TestCase):
    def test_the_c2sp_example_verifies_with_its_vkey(self):
        with open(SIGNED_NOTE_SPEC, encoding="utf-8") as f:
            spec = f.read()
        at = spec.index("This is an example message.")
        note = spec[at:spec.index("```", at)]
        key = v.parse_vkey("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
        self.assertEqual(v.open_note(note, key), "This is an example message.\n")
        with self.assertRaisesRegex(ValueError, "does not verify"):
            v.open_note(note.replace("example", "Example", 1), key)

    def test_signatures_of_other_keys_are_ignored_and_ours_must_verify(self):
        k, other = Key(), Key("example.com/other")
        note = k.sign("text\n\nwith a blank line\n")
        key = v.parse_vkey(k.vkey)
        self.assertEqual(v.open_note(note, key), "text\n\nwith a blank line\n")
        theirs = other.sign("text\n")
        self.assertEqual(v.open_note(note + theirs.split("\n\n")[1], key).count("\n"), 3)
        # A signature line with our name and id but another key's signature: refused.
        forged = other.sign("text\n", name=k.name, kid=k.id)
        with self.assertRaisesRegex(ValueError, "does not verify"):
            v.open_note(forged, key)
        # Our name with another id, or our id with another name: not ours, ignored; none left.
        for odd in (other.sign("text\n", name=k.name), other.sign("text\n", kid=k.id)):
            with self.assertRaisesRegex(ValueError, "no signature of the key"):
                v.open_note(odd, key)
        for bad in (note.replace("\u2014", "-"), note[:-1], "text\n", note.replace("t", "\x07")):
            self.assertRaises(ValueError, v.open_note, bad, key)

    def test_vkeys(self):
        k = Key()
        self.assertEqual(v.parse_vkey(f"  {k.vkey}\n")[0], k.name)
        name, kid, key = k.vkey.split("+", 2)
        for bad in (f"{name}+{kid}", f"{name}+{kid[:7]}+{key}", f"{name}x+{kid}+{key}",
                    f"a b+{kid}+{key}", f"{name}+{kid}+{key[:-2]}", f"{name}+0x{kid[2:]}+{key}"):
            self.assertRaises(ValueError, v.parse_vkey, bad)
        self.assertEqual(v.parse_vkey(f"{name}+{kid.upper()}+{key}")[1], k.id)

    def test_a_small_order_key_is_refused_though_openssl_takes_its_forgery(self):
        identity = b"\x01" + b"\0" * 31
        self.assertFalse(v.ed25519_verifies(identity, identity + b"\0" * 32, b"anything"))
        k = Key()
        sig = k.private.sign(b"m")
        self.assertTrue(v.ed25519_verifies(k.public, sig, b"m"))
        # s + L (not reduced) is refused, as ed25519-dalek refuses it.
        L = 2**252 + 27742317777372353535851937790883648493
        s = (int.from_bytes(sig[32:], "little") + L).to_bytes(32, "little")
        self.assertFalse(v.ed25519_verifies(k.public, sig[:32] + s, b"m"))

    def test_the_small_order_encodings_are_the_points_of_order_dividing_8(self):
        p, d = 2**255 - 19, -121665 * pow(121666, -1, 2**255 - 19) % (2**255 - 19)

        def add(a, b):
            (x1, y1), (x2, y2) = a, b
            t = d * x1 * x2 * y1 * y2
            return ((x1 * y2 + x2 * y1) * pow(1 + t, -1, p) % p,
                    (y1 * y2 + x1 * x2) * pow(1 - t, -1, p) % p)
        for enc in v.SMALL_ORDER:
            y = int.from_bytes(enc, "little") % p
            xx = (y * y - 1) * pow(d * y * y + 1, -1, p) % p
            x = pow(xx, (p + 3) // 8, p)
            x = x if x * x % p == xx else x * pow(2, (p - 1) // 4, p) % p
            self.assertEqual(x * x % p, xx, enc.hex())
            point = (x, y)
            for _ in range(3):
                point = add(point, point)
            self.assertEqual(point, (0, 1), enc.hex())


def b64(data):
    return base64.b64encode(data).decode()


def root64(records):
    return b64(mth([v.leaf_hash(r) for r in records]))


def proof_text(key, records, seq, size, extra=None, index=None):
    """A tlog-proof file for record `seq` in the checkpoint of `size` records."""
    leaves = [v.leaf_hash(r) for r in records[:size]]
    head = ["c2sp.org/tlog-proof@v1"]
    head += [f"extra {b64(records[seq - 1] if extra is None else extra)}"] if extra != b"" else []
    head += [f"index {seq - 1 if index is None else index}"]
    head += [b64(p) for p in path(seq - 1, leaves)]
    return "\n".join(head) + "\n\n" + key.checkpoint(records, size)


class CommandLine(Files):
    def setUp(self):
        super().setUp()
        self.key, self.records = Key(), chain(12)
        self.vkey = self.write("ledger.vkey", self.key.vkey + "\n")
        self.path = self.export(self.records)

    def test_an_export_verifies_alone_against_a_digest_and_a_checkpoint(self):
        ok = (f"ok: 12 records; head 12:{h(self.records[-1])}; root {root64(self.records)}\n")
        self.assertEqual(self.run_cli(self.path), (0, ok))
        self.assertEqual(self.run_cli(self.path, "--digest", f"8:{h(self.records[7])}"), (0, ok))
        cp = self.write("kept.cp", self.key.checkpoint(self.records, 8))
        self.assertEqual(self.run_cli(self.path, "--checkpoint", cp, "--key", self.vkey), (0, ok))
        self.assertEqual(self.run_cli(self.path, "--checkpoint", cp, "--key", self.key.vkey), (0, ok))

    def test_a_rewritten_export_fails_against_its_signed_checkpoint(self):
        cp = self.write("kept.cp", self.key.checkpoint(self.records, 8))
        records = list(self.records)
        records[5] = records[5].replace(b"x 6", b"y 6")
        path = self.export(rechain(records, 6))
        self.assertEqual(self.run_cli(path, "--checkpoint", cp, "--key", self.vkey),
                         (3, f"FAILED at record 8: the first 8 records do not have the root of the "
                             f"checkpoint {cp}: the log was rewritten at or before record 8\n"))
        code, out = self.run_cli(self.path, "--digest", f"8:{'0' * 64}")
        self.assertEqual((code, out[:27]), (3, "FAILED at record 8: the log"))

    def test_checkpoints_not_signed_by_the_key_are_refused(self):
        other = Key("example.com/other")
        for note, why in ((other.checkpoint(self.records), "carries no signature of the key"),
                          (self.key.checkpoint(self.records).replace("12\n", "11\n", 1), "does not verify"),
                          (self.key.checkpoint(self.records, origin="x.org/y"), "its origin is")):
            cp = self.write("kept.cp", note)
            code, out = self.run_cli(self.path, "--checkpoint", cp, "--key", self.vkey)
            self.assertEqual(code, 3, out)
            self.assertTrue(out.startswith(f"FAILED: the checkpoint {cp}: "), out)
            self.assertIn(why, out)

    def test_a_slice_verifies_with_its_proof_and_names_what_changed(self):
        cli = self.run_cli
        proof = self.write("s.tlog-proof", proof_text(self.key, self.records, 9, 12))
        name = self.key.name
        ok = f"ok: records 5–9 (5 records) are in the checkpoint of 12 records signed by {name}\n"
        slice_ = self.records[4:9]
        self.assertEqual(cli(self.export(slice_), "--proof", proof, "--key", self.vkey), (0, ok))
        altered = list(slice_)
        altered[2] = altered[2].replace(b"x 7", b"y 7")
        self.assertEqual(cli(self.export(altered), "--proof", proof, "--key", self.vkey),
                         (3, "FAILED at record 7: record 7 was altered: its hash no longer matches "
                             "the prev of record 8\n"))
        rechained = rechain(altered, 3)
        self.assertEqual(cli(self.export(rechained), "--proof", proof, "--key", self.vkey),
                         (3, "FAILED at record 9: the proof is for other bytes than record 9: it "
                             "proves another record\n"))
        bare = self.write("bare.tlog-proof", proof_text(self.key, self.records, 9, 12, extra=b""))
        code, out = cli(self.export(rechained), "--proof", bare, "--key", self.vkey)
        self.assertTrue(out.startswith(f"FAILED at record 9: record 9 is not in the checkpoint in "
                                       f"{bare} of 12 records: the inclusion proof leads to "), out)
        self.assertEqual(cli(self.export(slice_[:4]), "--proof", proof, "--key", self.vkey),
                         (3, "FAILED at record 8: the slice ends at record 8 but its proof is for "
                             "record 9\n"))
        self.assertEqual(cli(self.export(slice_, end=b""), "--proof", proof, "--key", self.vkey),
                         (3, "FAILED at record 9: record 9 is not followed by a newline: the file "
                             "was cut short\n"))
        # One empty line: record 1 (the slice's first, no seq to resume at) is unreadable.
        self.assertEqual(cli(self.export([]), "--proof", proof, "--key", self.vkey)[1][:41],
                         "FAILED at record 1: record 1 is unreadabl")
        self.assertEqual(cli(self.write("e", b""), "--proof", proof, "--key", self.vkey),
                         (3, "FAILED at record 1: the slice holds no records\n"))

    def test_a_proof_alone_shows_its_record(self):
        proof = self.write("r.tlog-proof", proof_text(self.key, self.records, 9, 12))
        self.assertEqual(self.run_cli("--proof", proof, "--key", self.vkey),
                         (0, f"ok: record 9 is in the checkpoint of 12 records signed by "
                             f"{self.key.name}\n{self.records[8].decode()}\n"))
        wrong = self.write("w.tlog-proof", proof_text(self.key, self.records, 9, 12, index=7))
        self.assertEqual(self.run_cli("--proof", wrong, "--key", self.vkey),
                         (3, "FAILED at record 9: the proof is for record 8 (index 7) but the "
                             "record is seq 9\n"))
        bare = self.write("b.tlog-proof", proof_text(self.key, self.records, 9, 12, extra=b""))
        self.assertEqual(self.run_cli("--proof", bare, "--key", self.vkey)[0], 2)
        junk = self.write("j.tlog-proof", proof_text(self.key, self.records, 9, 12, extra=b"junk"))
        code, out = self.run_cli("--proof", junk, "--key", self.vkey)
        self.assertEqual((code, out[:58]), (3, "FAILED at record 9: record 9 is unreadable: not a record: "))
        self.write("x.tlog-proof", "c2sp.org/tlog-proof@v1\nindex 01\n\n")
        code, out = self.run_cli("--proof", os.path.join(self.dir.name, "x.tlog-proof"),
                                 "--key", self.vkey)
        self.assertEqual((code, out), (3, "FAILED: not a c2sp.org/tlog-proof@v1 proof\n"))

    def test_consistency_of_two_checkpoints(self):
        leaves = [v.leaf_hash(r) for r in self.records]
        old = self.write("old.cp", self.key.checkpoint(self.records, 5))
        new = self.write("new.cp", self.key.checkpoint(self.records, 12))
        proof = self.write("c.proof", "\n".join(b64(p) for p in subproof(5, leaves, True)) + "\n\n")
        self.assertEqual(self.run_cli("--consistency", old, new, proof, "--key", self.vkey),
                         (0, f"ok: the checkpoint of 5 records is a prefix of the checkpoint of 12 "
                             f"records signed by {self.key.name}\n"))
        records = list(self.records)
        records[2] = records[2].replace(b"x 3", b"y 3")
        forked = self.write("f.cp", self.key.checkpoint(rechain(records, 3), 12))
        code, out = self.run_cli("--consistency", old, forked, proof, "--key", self.vkey)
        self.assertEqual(code, 3)
        self.assertTrue(out.startswith("FAILED: the proof does not lead to the root of size 12"), out)

    def test_usage(self):
        for args in ([], ["--digest", "1:" + "0" * 64], [self.path, "--checkpoint", self.vkey],
                     [self.path, "--key", self.vkey], [self.path, "--bogus"], [self.path, "--digest"],
                     [self.path, "--digest", "1:ABC"], [self.path, "--proof", self.vkey],
                     ["--consistency", "a", "b", "--key", self.vkey],
                     [self.path, "--checkpoint", self.path, "--key", "not a key"],
                     [os.path.join(self.dir.name, "missing.jsonl")]):
            code, out = self.run_cli(*args)
            self.assertEqual(code, 2, (args, out))
