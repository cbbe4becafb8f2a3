"""A real mosquitto broker on a free loopback port and a recording subscriber,
for report scenarios (Debian packages mosquitto and mosquitto-clients).

The broker keeps its state on disk (persistence) and the subscriber has a
persistent session (clean session off, QoS 1), so messages published while the
subscriber reconnects after a broker restart are queued for it, not lost: what
the recorder misses is what the gateway never delivered."""
import getpass
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from ports import free_port


class Broker:
    def __init__(self, workdir: Path, port=None):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.conf = self.dir / "mosquitto.conf"
        self.conf.write_text(
            # started as root, mosquitto would switch to user "mosquitto", which
            # cannot write the persistence file into our directory
            f"user {getpass.getuser()}\n"
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
            f"persistence true\npersistence_location {self.dir}/\n"
            f"log_dest file {self.dir}/mosquitto.log\n")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["mosquitto", "-c", str(self.conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=10)
        self.proc = None


class Recorder:
    """mosquitto_sub printing "user properties<TAB>hex payload" per message."""

    def __init__(self, port, topic):
        self.messages = []  # (properties dict, payload bytes)
        self.proc = subprocess.Popen(
            ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-V", "mqttv5", "-q", "1",
             "-c", "-i", "hil-recorder", "-x", "86400", "-t", topic, "-F", "%P\t%x"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            props_text, _, hexdata = line.rstrip("\n").partition("\t")
            props = dict(p.split(":", 1) for p in props_text.split() if ":" in p)
            self.messages.append((props, bytes.fromhex(hexdata)))

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.thread.join(timeout=5)
