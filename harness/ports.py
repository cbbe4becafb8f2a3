"""Loopback ports for the servers a harness test starts (gwd, brokers, meters, peers)."""
import socket
import time

LOOPBACK = "127.0.0.1"


def free_port(host=LOOPBACK):
    """A TCP port nothing listens on now (the kernel's choice)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_port(port, seconds, host=LOOPBACK, step=0.05):
    """True once something accepts on host:port, False after `seconds`."""
    end = time.time() + seconds
    while time.time() < end:
        with socket.socket() as s:
            if s.connect_ex((host, port)) == 0:
                return True
        time.sleep(step)
    return False
