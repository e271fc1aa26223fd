#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Write a compiled policy table (dsi-api TABLE-FORMAT.md, version 1) for the DSM tests.

The real tables come from org.opendsi.api.table.CompiledTable; this generator writes the same
bytes from a compact command line:

  gentable.py OUT --version 3 [--default MASK] [--external MASK]
     --ctx SCID[:audit]                 context record (flags bit 0 = audit mode)
     --node SNID=A.B.C.D                node record
     --access S,N,T,MASK[,RULE]         N may be ANY; RULE is written for every permission bit
     --sock tcp|udp,PORT,SNID,SCID[,RULE]
     --trans PARENT,BIN,NEW[,RULE]
     --net SCID,A.B.C.D/LEN,allow|deny,MASK[,RULE]
     --fill N                           N extra access records (ScIDs 100000+) for swap timing
Masks are integers or '+'-joined names: create,bind,connect,send,receive,transition,raw,all (all = every one but raw).
"""
import argparse
import hashlib
import socket
import struct
import sys

ANY = 0xFFFFFFFF
PERMS = {"create": 1, "bind": 2, "connect": 4, "send": 8, "receive": 16, "transition": 32, "raw": 64,
         "all": 63, "none": 0}


def mask(s):
    try:
        return int(s, 0)
    except ValueError:
        m = 0
        for p in s.split("+"):
            m |= PERMS[p]
        return m


def num(s):
    return ANY if s.upper() == "ANY" else int(s, 0)


def ip(s):
    return socket.inet_aton(s)  # network order bytes


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--version", type=int, default=1)
    ap.add_argument("--default", default="0")
    ap.add_argument("--external", default="0")
    for o in ("ctx", "node", "access", "sock", "trans", "net"):
        ap.add_argument("--" + o, action="append", default=[])
    ap.add_argument("--fill", type=int, default=0)
    a = ap.parse_args(argv)

    ctx = []
    for c in a.ctx:
        scid, _, fl = c.partition(":")
        ctx.append((int(scid), 1 if fl == "audit" else 0))
    nodes = []
    for n in a.node:
        snid, addr = n.split("=")
        nodes.append((int(snid), ip(addr)))
    acc = []
    for r in a.access:
        f = r.split(",")
        acc.append((num(f[0]), num(f[1]), num(f[2]), mask(f[3]), int(f[4]) if len(f) > 4 else 0))
    for i in range(a.fill):
        acc.append((100000 + i, ANY, 100000 + i, PERMS["all"], 900000 + i))
    socks = []
    for r in a.sock:
        f = r.split(",")
        proto = {"tcp": 6, "udp": 17}[f[0]]
        socks.append((proto, int(f[1]), num(f[2]), int(f[3]), int(f[4]) if len(f) > 4 else 0))
    trans = []
    for r in a.trans:
        f = r.split(",")
        trans.append((int(f[0]), int(f[1]), int(f[2]), int(f[3]) if len(f) > 3 else 0))
    nets = []
    for r in a.net:
        f = r.split(",")
        pfx, _, plen = f[1].partition("/")
        nets.append((num(f[0]), ip(pfx), int(plen or 32), 1 if f[2] == "allow" else 0, mask(f[3]),
                     int(f[4]) if len(f) > 4 else 0))

    ctx.sort()
    nodes.sort()
    acc.sort(key=lambda r: (r[0], r[2], r[1]))
    socks.sort(key=lambda r: (r[0], r[1], r[2]))
    trans.sort()
    nets.sort(key=lambda r: (r[0], struct.unpack(">I", r[1])[0], r[2]))

    body = b""
    body += b"".join(struct.pack("<II", s, f) for s, f in ctx)
    body += b"".join(struct.pack("<I", s) + addr for s, addr in nodes)
    for s, n, t, m, rule in acc:
        rules = [rule] * 8
        body += struct.pack("<IIII8I", s, n, t, m, *rules)
    body += b"".join(struct.pack("<BBHIII", p, 0, port, sn, sc, rule) for p, port, sn, sc, rule in socks)
    body += b"".join(struct.pack("<IIII", *r) for r in trans)
    body += b"".join(struct.pack("<I", s) + pfx + struct.pack("<BBHI", plen, act, m, rule)
                     for s, pfx, plen, act, m, rule in nets)
    digest = hashlib.sha256(body).digest()
    hdr = b"DSIT" + struct.pack("<HHQ", 1, 128, a.version) + digest
    hdr += struct.pack("<II", mask(a.default), mask(a.external))
    hdr += struct.pack("<6I", len(ctx), len(nodes), len(acc), len(socks), len(trans), len(nets))
    hdr += bytes(48)
    assert len(hdr) == 128
    with open(a.out, "wb") as f:
        f.write(hdr + body)


if __name__ == "__main__":
    main(sys.argv[1:])
