#!/usr/bin/env python3
"""Independent verifier for a Vitrine audit log (docs/AUDIT-FORMAT.md), written without any Vitrine code.

Uses only the Python standard library, plus the `cryptography` package for Ed25519 signatures when it is
installed (otherwise signatures are reported as NOT CHECKED and the exit status says so).

    python3 scripts/verify-audit.py EVENTS.jsonl CHECKPOINTS.jsonl [--key signing.pub | --key BASE64]
    python3 scripts/verify-audit.py --self-test

EVENTS.jsonl: one event per line, in seq order, with keys seq, time, actor, action, target, purpose, outcome,
detail, prevHash (or prev_hash) and hash. Exit status: 0 verified, 1 broken, 2 usage error,
3 chain and roots verified but signatures could not be checked (no `cryptography`).
"""
import base64
import hashlib
import json
import math
import sys
from decimal import Decimal

GENESIS = "0" * 64
PREFIX = "vitrine-checkpoint/v1"


# ---- RFC 8785 (JCS) -------------------------------------------------------------------------------------

def jcs_number(x):
    """ECMAScript Number::toString, which RFC 8785 §3.2.2.3 prescribes. JSON numbers are IEEE doubles."""
    if isinstance(x, bool):
        raise TypeError("bool is not a number")
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        raise ValueError("NaN and Infinity are not allowed")
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    # repr() gives the shortest round-tripping digits, as ECMAScript requires.
    digits_tuple = Decimal(repr(abs(x))).as_tuple()
    digits = list(digits_tuple.digits)
    exp = digits_tuple.exponent
    while len(digits) > 1 and digits[-1] == 0:
        digits.pop()
        exp += 1
    s = "".join(map(str, digits))
    k = len(s)
    n = exp + k  # value = 0.s × 10^n
    if k <= n <= 21:
        out = s + "0" * (n - k)
    elif 0 < n <= 21:
        out = s[:n] + "." + s[n:]
    elif -6 < n <= 0:
        out = "0." + "0" * (-n) + s
    else:
        e = n - 1
        mant = s if k == 1 else s[0] + "." + s[1:]
        out = mant + "e" + ("+" if e >= 0 else "-") + str(abs(e))
    return sign + out


def jcs_string(s):
    for ch in s:
        if 0xD800 <= ord(ch) <= 0xDFFF:
            raise ValueError("lone surrogate in string")
    # Same escapes as ECMAScript JSON.stringify: \" \\ \b \f \n \r \t, other controls as \u00xx.
    return json.dumps(s, ensure_ascii=False)


def jcs(v):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return jcs_number(v)
    if isinstance(v, str):
        return jcs_string(v)
    if isinstance(v, list):
        return "[" + ",".join(jcs(x) for x in v) + "]"
    if isinstance(v, dict):
        # Sort by UTF-16 code units: comparing UTF-16BE bytes gives exactly that order.
        keys = sorted(v.keys(), key=lambda k: k.encode("utf-16-be", "surrogatepass"))
        return "{" + ",".join(jcs_string(k) + ":" + jcs(v[k]) for k in keys) + "}"
    raise TypeError("cannot canonicalize %r" % type(v))


# ---- hashes ---------------------------------------------------------------------------------------------

def sha256(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()


def event_hash(e):
    body = {k: e[k] for k in ("seq", "time", "actor", "action", "target", "purpose", "outcome", "detail", "prevHash")}
    return sha256(jcs(body).encode("utf-8"))


def leaf_hash(data):
    return sha256(b"\x00", data)


def node_hash(left, right):
    return sha256(b"\x01", left, right)


class Tree:
    """RFC 9162 Merkle tree, streamed: keeps the roots of the perfect subtrees (set bits of size)."""

    def __init__(self):
        self.size = 0
        self.stack = []

    def push(self, leaf):
        self.stack.append(leaf)
        s = self.size
        while s & 1:
            r = self.stack.pop()
            left = self.stack.pop()
            self.stack.append(node_hash(left, r))
            s >>= 1
        self.size += 1

    def root(self):
        if not self.stack:
            return sha256()
        r = self.stack[-1]
        for h in reversed(self.stack[:-1]):
            r = node_hash(h, r)
        return r


def mth(leaves):
    """RFC 9162 §2.1.1, recursively (used by --self-test)."""
    if not leaves:
        return sha256()
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def verify_inclusion(index, size, leaf, proof, root):
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


# ---- signatures -----------------------------------------------------------------------------------------

def ed25519_verifier():
    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        from cryptography.exceptions import InvalidSignature
    except ImportError:
        return None

    def check(public_raw, signature, message):
        try:
            Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, message)
            return True
        except (InvalidSignature, ValueError):
            return False
    return check


def checkpoint_message(cp):
    return ("%s\n%d\n%s\n%s\n" % (PREFIX, cp["treeSize"], cp["rootHash"], cp["time"])).encode("utf-8")


def load_trusted_key(arg):
    """Base64 raw 32-byte key, or a PEM public key file (signing.pub) — SPKI DER ends with the raw key."""
    if arg is None:
        return None
    try:
        with open(arg, "r", encoding="ascii") as f:
            text = f.read()
        body = "".join(line for line in text.splitlines() if not line.startswith("-----"))
        der = base64.b64decode(body)
        if len(der) != 44 or der[:12] != bytes.fromhex("302a300506032b6570032100"):
            raise ValueError("not an Ed25519 SPKI public key")
        return base64.b64encode(der[12:]).decode()
    except FileNotFoundError:
        raw = base64.b64decode(arg, validate=True)
        if len(raw) != 32:
            raise ValueError("trusted key must be 32 raw bytes in base64")
        return arg


# ---- verification ---------------------------------------------------------------------------------------

def verify(events_path, checkpoints_path, trusted=None):
    """Returns (status, message). status: 0 ok, 1 broken, 3 ok but signatures unchecked."""
    checkpoints = []
    with open(checkpoints_path, "r", encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if line.strip():
                try:
                    checkpoints.append(json.loads(line))
                except ValueError:
                    return 1, "checkpoint %d: not JSON" % i
    sig_check = ed25519_verifier()
    key = trusted if trusted is not None else (checkpoints[0]["publicKey"] if checkpoints else None)
    for i, cp in enumerate(checkpoints, 1):
        if cp.get("publicKey") != key:
            return 1, "checkpoint %d: signed by %s key" % (i, "an untrusted" if trusted else "a different")
        if sig_check is not None:
            try:
                ok = sig_check(base64.b64decode(cp["publicKey"]), base64.b64decode(cp["signature"]), checkpoint_message(cp))
            except (ValueError, KeyError, TypeError):
                ok = False
            if not ok:
                return 1, "checkpoint %d: signature invalid" % i
        if i > 1 and cp["treeSize"] < checkpoints[i - 2]["treeSize"]:
            return 1, "checkpoint %d: tree size smaller than checkpoint %d's" % (i, i - 1)

    tree = Tree()
    prev = GENESIS
    nxt = 0
    last_good = 0

    def due():
        nonlocal nxt, last_good
        while nxt < len(checkpoints) and checkpoints[nxt]["treeSize"] == tree.size:
            cp = checkpoints[nxt]
            if tree.root().hex() != cp["rootHash"]:
                return "checkpoint %d root mismatch: events %d..%d differ from what was signed" % (
                    nxt + 1, min(last_good + 1, cp["treeSize"]), cp["treeSize"])
            last_good = cp["treeSize"]
            nxt += 1
        return None

    problem = due()
    if problem:
        return 1, problem
    with open(events_path, "r", encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            e = json.loads(line)
            if "prevHash" not in e and "prev_hash" in e:
                e["prevHash"] = e.pop("prev_hash")
            seq = tree.size + 1
            if e.get("seq") != seq:
                if isinstance(e.get("seq"), int) and e["seq"] > seq:
                    return 1, "event %d: sequence gap: event %d missing" % (seq, seq)
                return 1, "event %s: out of order or malformed seq (expected %d)" % (e.get("seq"), seq)
            digest = event_hash(e)
            if digest.hex() != e.get("hash"):
                return 1, "event %d: hash mismatch: event was edited" % seq
            if e["prevHash"] != prev:
                return 1, "event %d: chain broken: prevHash does not match event %d" % (seq, seq - 1)
            prev = e["hash"]
            tree.push(leaf_hash(digest))
            problem = due()
            if problem:
                return 1, problem
    if nxt < len(checkpoints):
        cp = checkpoints[nxt]
        return 1, "event %d: log truncated: events %d..%d missing (checkpoint %d covers %d events)" % (
            tree.size + 1, tree.size + 1, cp["treeSize"], nxt + 1, cp["treeSize"])
    summary = "%d events, %d checkpoints, root %s, key %s" % (tree.size, len(checkpoints), tree.root().hex(), key)
    if sig_check is None and checkpoints:
        return 3, "chain and roots OK, signatures NOT CHECKED (pip install cryptography): " + summary
    return 0, "OK: " + summary


# ---- self test ------------------------------------------------------------------------------------------

def self_test():
    vectors = [
        ("0000000000000000", "0"), ("8000000000000000", "0"), ("0000000000000001", "5e-324"),
        ("8000000000000001", "-5e-324"), ("7fefffffffffffff", "1.7976931348623157e+308"),
        ("ffefffffffffffff", "-1.7976931348623157e+308"), ("4340000000000000", "9007199254740992"),
        ("c340000000000000", "-9007199254740992"), ("4430000000000000", "295147905179352830000"),
        ("44b52d02c7e14af5", "9.999999999999997e+22"), ("44b52d02c7e14af6", "1e+23"),
        ("44b52d02c7e14af7", "1.0000000000000001e+23"), ("444b1ae4d6e2ef4e", "999999999999999700000"),
        ("444b1ae4d6e2ef4f", "999999999999999900000"), ("444b1ae4d6e2ef50", "1e+21"),
        ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"), ("3eb0c6f7a0b5ed8d", "0.000001"),
        ("41b3de4355555553", "333333333.3333332"), ("41b3de4355555554", "333333333.33333325"),
        ("41b3de4355555555", "333333333.3333333"), ("41b3de4355555556", "333333333.3333334"),
        ("41b3de4355555557", "333333333.33333343"), ("becbf647612f3696", "-0.0000033333333333333333"),
        ("43143ff3c1cb0959", "1424953923781206.2"),
    ]
    import struct
    for bits, want in vectors:
        got = jcs_number(struct.unpack(">d", bytes.fromhex(bits))[0])
        assert got == want, (bits, got, want)
    sample = json.loads('{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
                        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}')
    assert jcs(sample) == ('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
                           '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'), jcs(sample)
    order = {"\u20ac": 1, "\r": 2, "\ufb33": 3, "1": 4, "\U0001F600": 5, "\u0080": 6, "\u00f6": 7}
    assert [v for v in json.loads(jcs(order)).values()] == [2, 4, 6, 7, 1, 5, 3]
    # Worked example from docs/AUDIT-FORMAT.md.
    e = {"seq": 1, "time": "2025-03-01T09:30:00.000Z", "actor": "alice", "action": "search", "target": None,
         "purpose": "investigation 12", "outcome": "ok", "detail": {"query": "Z\u00fcrich", "results": 3}, "prevHash": GENESIS}
    assert event_hash(e).hex() == "549a5b0318c9c6603e83eb5f8d139e7028231c009d382f03cd3a8a6876a5700b"
    # RFC 6962 Merkle vectors.
    leaves = [bytes.fromhex(x) for x in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]]
    assert mth(leaves).hex() == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    for n in range(0, 40):
        data = [sha256(str(i).encode()) for i in range(n)]
        t = Tree()
        for d in data:
            t.push(leaf_hash(d))
        assert t.root() == mth(data), n
    proof = [bytes.fromhex(x) for x in ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                                        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                                        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]]
    assert verify_inclusion(5, 8, leaf_hash(leaves[5]), proof, mth(leaves))
    assert not verify_inclusion(4, 8, leaf_hash(leaves[5]), proof, mth(leaves))
    # Worked example, continued: event 2, the tree of both, the signed checkpoint.
    e2 = {"seq": 2, "time": "2025-03-01T09:31:12.500Z", "actor": "alice", "action": "export", "target": "asset:01JNV4Q3Z8",
          "purpose": "investigation 12", "outcome": "ok", "detail": {"redact": True}, "prevHash": event_hash(e).hex()}
    assert event_hash(e2).hex() == "90aa7d26c49524f25d25797e41b857dc46b9997ecfe9e7336a77f6b00dba6d31"
    t = Tree()
    t.push(leaf_hash(event_hash(e)))
    t.push(leaf_hash(event_hash(e2)))
    assert t.root().hex() == "dbc319fc2d0856a6ae153bf4b77d57932fb139be83316394d8e0f10ef4dabe39"
    cp = {"treeSize": 2, "rootHash": t.root().hex(), "time": "2025-03-01T10:00:00.000Z",
          "publicKey": "DZNrawU6W14B19Xey9xoCK3n7AmIcJ762nKyEuh1rBU=",
          "signature": "nu7GWVwf/+xi5mHfrkTPtSQKKWJ+/WgQkzJ2CXOZUIAQm//C6s09BStegsZw94LeQ5c051gly/ZjZo+11oYSAQ=="}
    check = ed25519_verifier()
    if check is not None:
        msg = checkpoint_message(cp)
        assert check(base64.b64decode(cp["publicKey"]), base64.b64decode(cp["signature"]), msg)
        assert not check(base64.b64decode(cp["publicKey"]), base64.b64decode(cp["signature"]), msg.replace(b"\n2\n", b"\n3\n"))
    print("self-test OK" + ("" if check else " (signatures skipped: no cryptography package)"))


def main(argv):
    if argv[1:] == ["--self-test"]:
        self_test()
        return 0
    args = argv[1:]
    key = None
    if "--key" in args:
        i = args.index("--key")
        if i + 1 >= len(args):
            print(__doc__, file=sys.stderr)
            return 2
        key = load_trusted_key(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    status, message = verify(args[0], args[1], key)
    print(message if status != 1 else "BROKEN: " + message)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
