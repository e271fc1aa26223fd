#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Small traffic tool for the DSM tests (only ever pointed at the test namespaces' addresses).

  udp-recv PORT SECONDS [--expect N] [--ready FILE] [--stop FILE]  prints "received N bytes B"
      (--stop: end once FILE exists and nothing arrived for 0.5 s; SECONDS stays the upper bound)
  udp-send ADDR PORT COUNT [--size S] [--opt HEX] [--src ADDR] [--interval SEC]
  tcp-recv PORT SECONDS [--ready FILE]                   prints "received BYTES conns N"
  tcp-send ADDR PORT BYTES                               prints "sent BYTES" or "error ERRNO"
  bind PROTO PORT                                        prints "ok" or "error ERRNO"
  connect ADDR PORT                                      prints "ok" or "error ERRNO"
"""
import argparse
import errno
import os
import socket
import sys
import time


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
            s.settimeout(max(0.01, end - time.time()))
            try:
                cs, _ = s.accept()
            except socket.timeout:
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
    else:
        ap.error("unknown command")


if __name__ == "__main__":
    main()
