#!/usr/bin/python3
"""A broken gateway for the stuck co-simulation tests (harness/test_virtual_time.py).

    fake_gwd.py MODE --clock virtual:SOCKET CONFIG

MODE:
  deaf      never connects to the clock socket (stays alive)
  mute      connects, takes the hello, never reports idle
  liar      reports idle, claiming 7 bytes written on the first M-Bus port that
            the bench never receives: the counters can never agree
It exits on SIGTERM like any process; the bench kills it when it gives up.
"""
import json
import signal
import socket
import sys
import time


def main():
    mode = sys.argv[1]
    args = sys.argv[2:]
    sock_path = None
    if "--clock" in args:
        value = args[args.index("--clock") + 1]
        sock_path = value.split(":", 1)[1] if value.startswith("virtual:") else None
    config = json.load(open(args[-1]))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if mode != "deaf" and sock_path:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock_path)
        hello = s.recv(256)
        assert hello.startswith(b"hello "), hello
        if mode == "liar":
            device = config["mbus"][0]["device"]
            s.sendall(f"idle seq=0 deadline=-1 {device}=7/0\n".encode())
    while True:  # a test double may wait the plain way; it is not the gateway
        time.sleep(1)


if __name__ == "__main__":
    main()
