#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Reference implementation of the v2 label (kernel/dsm/README.md "Wire format v2") for the tests:
SipHash-2-4 written from the paper, checked against its test vector, and the label option built
the way the DSM builds it. `python3 labelmac.py` runs the self-check."""
import socket
import struct

M64 = (1 << 64) - 1


def _rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & M64


def siphash24(key, msg):
    k0, k1 = struct.unpack("<QQ", key)
    v0 = k0 ^ 0x736F6D6570736575
    v1 = k1 ^ 0x646F72616E646F6D
    v2 = k0 ^ 0x6C7967656E657261
    v3 = k1 ^ 0x7465646279746573

    def rnd():
        nonlocal v0, v1, v2, v3
        v0 = (v0 + v1) & M64; v1 = _rotl(v1, 13); v1 ^= v0; v0 = _rotl(v0, 32)
        v2 = (v2 + v3) & M64; v3 = _rotl(v3, 16); v3 ^= v2
        v0 = (v0 + v3) & M64; v3 = _rotl(v3, 21); v3 ^= v0
        v2 = (v2 + v1) & M64; v1 = _rotl(v1, 17); v1 ^= v2; v2 = _rotl(v2, 32)

    tail = len(msg) % 8
    blocks = [struct.unpack_from("<Q", msg, i)[0] for i in range(0, len(msg) - tail, 8)]
    last = (len(msg) & 0xFF) << 56
    for i, c in enumerate(msg[len(msg) - tail:]):
        last |= c << (8 * i)
    for m in blocks + [last]:
        v3 ^= m
        rnd(); rnd()
        v0 ^= m
    v2 ^= 0xFF
    rnd(); rnd(); rnd(); rnd()
    return (v0 ^ v1 ^ v2 ^ v3) & M64


def label_option(key, epoch, snid, scid, saddr, daddr, proto, sport, dport, seq=0, mac=None):
    """The 20-byte option; mac=None computes it with key (16 bytes), else uses the given int."""
    body = struct.pack(">BBHIH", 2, epoch & 0xFF, snid, scid, 0)   # bytes 2..11 of the option
    if mac is None:
        msg = (body[:8] + socket.inet_aton(saddr) + socket.inet_aton(daddr) +
               struct.pack(">HHI", sport, dport, seq) + bytes([proto]) + bytes(7))
        mac = siphash24(key, msg)
    return bytes([0x9E, 20]) + body + struct.pack("<Q", mac)


if __name__ == "__main__":
    # the paper's vector: key 00..0f, message 00..0e -> a129ca6149be45e5 (bytes, little-endian)
    got = siphash24(bytes(range(16)), bytes(range(15)))
    assert struct.pack("<Q", got).hex() == "e545be4961ca29a1", hex(got)
    print("siphash24 ok")
