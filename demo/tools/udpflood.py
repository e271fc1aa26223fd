#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A steady UDP flow for the demo's upgrade step (only ever pointed at the demo's namespace nodes).

  udpflood.py ADDR PORT RATE STOPFILE

One socket, so one flow: RATE datagrams per second to ADDR:PORT until STOPFILE exists. Then, after
1.5 s of silence, one last datagram: the DSM reports a flood's rate-limited denials as a count in
the flow's next audit record, and this datagram opens the window that carries the count of the last
one. Prints "sent N".
"""
import os
import socket
import sys
import time


def main():
    addr, port, rate, stop = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    payload = b"QUOTE flood"
    period = 1.0 / rate
    sent = 0
    nxt = time.monotonic()
    while not os.path.exists(stop):
        s.sendto(payload, (addr, port))
        sent += 1
        nxt += period
        delay = nxt - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        elif delay < -1.0:  # fell far behind (machine busy): do not burst to catch up
            nxt = time.monotonic()
    time.sleep(1.5)
    s.sendto(payload, (addr, port))
    sent += 1
    print("sent %d" % sent, flush=True)


if __name__ == "__main__":
    main()
