#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Small traffic tool for the DSM tests (only ever pointed at the test namespaces' addresses).

  udp-recv PORT SECONDS [--expect N] [--ready FILE] [--stop FILE]  prints "received N bytes B"
      (--stop: end once FILE exists and nothing arrived for 0.5 s; SECONDS stays the upper bound)
  udp-send ADDR PORT COUNT [--size S] [--opt HEX] [--src ADDR] [--interval SEC]
  tcp-recv PORT SECONDS [--ready FILE] [--stop FILE]     prints "received BYTES conns N"
  tcp-send ADDR PORT BYTES                               prints "sent BYTES" or "error ERRNO"
  bind PROTO PORT                                        prints "ok" or "error ERRNO"
  connect ADDR PORT                                      prints "ok" or "error ERRNO"
  raw-send SRC DST udp|syn SPORT DPORT COUNT (--opt HEX | --label E:SNID:SCID:KEYHEX [--mac HEX])
      crafted IPv4 packets (IP_HDRINCL) with any source address: prints "sent N"
  sniff-label IFACE DPORT SECONDS     the first labeled IPv4 packet to DPORT seen on IFACE:
      prints "label OPTHEX saddr SPORT daddr DPORT proto" or "none"

  udp-send --label E:SNID:SCID:KEYHEX [--mac HEX]: a v2 label (labelmac.py) for the socket's own
  flow, set with IP_OPTIONS (--mac: this MAC instead of the computed one)
"""
import argparse
import errno
import os
import socket
import sys
import struct
import time

import labelmac


def ready(path):
    if path:
        with open(path, "w") as f:
            f.write("1")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd")
    ap.add_argument("args", nargs="*")
    ap.add_argument("--expect", type=int, default=0)
    ap.add_argument("--ready")
    ap.add_argument("--stop")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--opt")
    ap.add_argument("--src")
    ap.add_argument("--interval", type=float, default=0.0)
    ap.add_argument("--label")
    ap.add_argument("--mac")
    a = ap.parse_args()
    c = a.cmd
    if c == "udp-recv":
        port, secs = int(a.args[0]), float(a.args[1])
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind(("0.0.0.0", port))
        ready(a.ready)
        end = time.time() + secs
        n = b = 0
        last = time.time()
        while time.time() < end and not (a.expect and n >= a.expect):
            s.settimeout(max(0.01, min(end - time.time(), 0.2 if a.stop else end - time.time())))
            try:
                d = s.recv(65535)
            except socket.timeout:
                # with --stop, the sender says when it is done (however long it took under load)
                if a.stop and os.path.exists(a.stop) and time.time() - last >= 0.5:
                    break
                if not a.stop:
                    break
                continue
            last = time.time()
            n += 1
            b += len(d)
        print("received %d bytes %d" % (n, b), flush=True)
    elif c == "udp-send":
        addr, port, count = a.args[0], int(a.args[1]), int(a.args[2])
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if a.src:
            s.bind((a.src, 0))
        if a.opt:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, bytes.fromhex(a.opt))
        if a.label:
            s.connect((addr, port))   # fixes the flow the label is computed for
            src, sport = s.getsockname()
            s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS,
                         make_label(a.label, a.mac, src, addr, 17, sport, port, 0))
        payload = b"x" * a.size
        sent = 0
        for _ in range(count):
            try:
                s.sendto(payload, (addr, port))
                sent += 1
            except OSError as e:
                print("error %s" % errno.errorcode.get(e.errno, e.errno), flush=True)
                sys.exit(1)
            if a.interval:
                time.sleep(a.interval)
        print("sent %d" % sent, flush=True)
    elif c == "tcp-recv":
        port, secs = int(a.args[0]), float(a.args[1])
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port))
        s.listen(16)
        ready(a.ready)
        end = time.time() + secs
        total = conns = 0
        while time.time() < end:
            s.settimeout(max(0.01, min(end - time.time(), 0.2 if a.stop else end - time.time())))
            try:
                cs, _ = s.accept()
            except socket.timeout:
                if a.stop and not os.path.exists(a.stop):
                    continue
                break
            conns += 1
            cs.settimeout(max(0.5, end - time.time()))
            try:
                while True:
                    d = cs.recv(1 << 16)
                    if not d:
                        break
                    total += len(d)
                cs.sendall(b"ok")
            except OSError:
                pass
            cs.close()
            if a.expect and total >= a.expect:
                break
        print("received %d conns %d" % (total, conns), flush=True)
    elif c == "tcp-send":
        addr, port, nbytes = a.args[0], int(a.args[1]), int(a.args[2])
        s = socket.socket()
        s.settimeout(5)
        try:
            s.connect((addr, port))
            chunk = b"y" * 65536
            left = nbytes
            while left > 0:
                k = s.send(chunk[:min(left, len(chunk))])
                left -= k
            s.shutdown(socket.SHUT_WR)
            ack = s.recv(2)
            print("sent %d ack %s" % (nbytes, ack.decode() or "-"), flush=True)
        except OSError as e:
            print("error %s" % (errno.errorcode.get(e.errno, e.errno) if e.errno else "timeout"), flush=True)
            sys.exit(1)
    elif c == "bind":
        proto, port = a.args[0], int(a.args[1])
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
        try:
            s.bind(("0.0.0.0", port))
            print("ok")
        except OSError as e:
            print("error %s" % errno.errorcode.get(e.errno, e.errno))
            sys.exit(1)
    elif c == "connect":
        addr, port = a.args[0], int(a.args[1])
        s = socket.socket()
        s.settimeout(3)
        try:
            s.connect((addr, port))
            print("ok")
        except OSError as e:
            print("error %s" % (errno.errorcode.get(e.errno, e.errno) if e.errno else "timeout"))
            sys.exit(1)
    elif c == "raw-send":
        src, dst, kind = a.args[0], a.args[1], a.args[2]
        sport, dport, count = int(a.args[3]), int(a.args[4]), int(a.args[5])
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        proto = 17 if kind == "udp" else 6
        sent = 0
        for i in range(count):
            seq = 0x10000000 + i if proto == 6 else 0
            opt = bytes.fromhex(a.opt) if a.opt else make_label(a.label, a.mac, src, dst, proto, sport, dport, seq)
            opt += bytes(-len(opt) % 4)
            s.sendto(ipv4(src, dst, proto, opt, l4(src, dst, proto, sport, dport, seq)), (dst, 0))
            sent += 1
            if a.interval:
                time.sleep(a.interval)
        print("sent %d" % sent, flush=True)
    elif c == "sniff-label":
        iface, dport, secs = a.args[0], int(a.args[1]), float(a.args[2])
        # ETH_P_ALL: a bridge port hands frames to the bridge before protocol taps see them
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
        s.bind((iface, 0))
        ready(a.ready)
        end = time.time() + secs
        while time.time() < end:
            s.settimeout(max(0.01, end - time.time()))
            try:
                f = s.recv(65535)
            except socket.timeout:
                break
            if f[12:14] != b"\x08\x00":
                continue
            ip = f[14:]
            ihl = (ip[0] & 0x0F) * 4
            if ip[0] >> 4 != 4 or ihl < 40 or ip[20] != 0x9E or ip[9] not in (6, 17):
                continue
            sp, dp = struct.unpack_from(">HH", ip, ihl)
            if dp != dport:
                continue
            print("label %s %s %d %s %d %d" % (ip[20:20 + ip[21]].hex(), socket.inet_ntoa(ip[12:16]), sp,
                                               socket.inet_ntoa(ip[16:20]), dp, ip[9]), flush=True)
            return
        print("none", flush=True)
    else:
        ap.error("unknown command")


def make_label(spec, mac, saddr, daddr, proto, sport, dport, seq):
    epoch, snid, scid, key = spec.split(":")
    return labelmac.label_option(bytes.fromhex(key), int(epoch), int(snid), int(scid), saddr, daddr, proto,
                                 sport, dport, seq, None if mac is None else int(mac, 16))


def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xFFFF) + (t >> 16)
    return ~t & 0xFFFF


def l4(src, dst, proto, sport, dport, seq):
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst)
    if proto == 17:
        payload = b"forged"
        h = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
        c = csum(pseudo + struct.pack("!BBH", 0, 17, len(h)) + h) or 0xFFFF
        return h[:6] + struct.pack("!H", c) + h[8:]
    h = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02, 64240, 0, 0)   # SYN
    c = csum(pseudo + struct.pack("!BBH", 0, 6, len(h)) + h)
    return h[:16] + struct.pack("!H", c) + h[18:]


def ipv4(src, dst, proto, opt, payload):
    ihl = 5 + len(opt) // 4
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(payload), 0x4242, 0x4000, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst)) + opt
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


if __name__ == "__main__":
    main()
