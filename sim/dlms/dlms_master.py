#!/usr/bin/python3
"""dlms_master: a head-end's DLMS/COSEM client for the bench, written from
IEC 62056-5-3 / -47 (the Green Book) without any of the gateway's code: its own
wrapper framing, BER for the AARQ/AARE, A-XDR, security suite 0 (AES-GCM-128 with
python3-cryptography) and HLS-GMAC. The harness uses it to check the gateway's
DLMS server (harness/test_dlms_server.py): the associations, GET normal / with
list / next, ranges, and what a server must refuse (malformed APDUs, requests
longer than its max PDU) while it keeps serving.

    python3 sim/dlms/dlms_master.py HOST PORT [--client 16] [--obis 0-0:96.1.0.255 --class 1 --attr 2]
"""
import argparse
import datetime
import os
import socket
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


# ---- A-XDR data ---------------------------------------------------------------------

def length(n):
    if n < 0x80:
        return bytes([n])
    if n < 0x100:
        return bytes([0x81, n])
    return bytes([0x82]) + struct.pack(">H", n)


def read_length(b, i):
    n = b[i]
    if n < 0x80:
        return n, i + 1
    k = n & 0x7F
    return int.from_bytes(b[i + 1:i + 1 + k], "big"), i + 1 + k


FIXED = {0x03: (1, ">?"), 0x05: (4, ">i"), 0x06: (4, ">I"), 0x0F: (1, ">b"), 0x10: (2, ">h"),
         0x11: (1, ">B"), 0x12: (2, ">H"), 0x14: (8, ">q"), 0x15: (8, ">Q"), 0x16: (1, ">B"),
         0x17: (4, ">f"), 0x18: (8, ">d")}


def parse_data(b, i=0):
    """One A-XDR element at b[i:]: (value, next index). Arrays and structures are
    lists, strings bytes, date-times too (see datetime_ns)."""
    t = b[i]
    i += 1
    if t == 0x00:
        return None, i
    if t in (0x01, 0x02):
        n, i = read_length(b, i)
        out = []
        for _ in range(n):
            v, i = parse_data(b, i)
            out.append(v)
        return out, i
    if t in (0x09, 0x0A, 0x0C):
        n, i = read_length(b, i)
        if i + n > len(b):
            raise ValueError("string runs past the end")
        return bytes(b[i:i + n]), i + n
    if t in FIXED:
        n, fmt = FIXED[t]
        if i + n > len(b):
            raise ValueError("number runs past the end")
        return struct.unpack(fmt, b[i:i + n])[0], i + n
    raise ValueError(f"A-XDR type {t:#04x} not known to the bench")


def octets(b):
    return b"\x09" + length(len(b)) + b


def datetime_bytes(ns):
    t = datetime.datetime.fromtimestamp(ns / 1e9, datetime.timezone.utc)
    return struct.pack(">HBBBBBBBhB", t.year, t.month, t.day, t.isoweekday(), t.hour, t.minute,
                       t.second, 0, 0, 0)


def datetime_ns(b):
    y, mo, d, _, h, mi, s, hs, dev, _ = struct.unpack(">HBBBBBBBhB", b)
    t = datetime.datetime(y, mo, d, h, mi, s, tzinfo=datetime.timezone.utc)
    ns = int(t.timestamp()) * 10**9 + (0 if hs == 0xFF else hs * 10**7)
    if dev != -0x8000:
        ns -= dev * 60 * 10**9
    return ns


def obis_bytes(text):
    a, rest = text.split("-")
    b, rest = rest.split(":")
    c, d, e, f = rest.split(".")
    return bytes(int(x) for x in (a, b, c, d, e, f))


def range_params(from_ns, to_ns):
    """Selective access by range on the clock (selector 1)."""
    clock = b"\x02\x04\x12\x00\x08" + octets(obis_bytes("0-0:1.0.0.255")) + b"\x0f\x02\x12\x00\x00"
    return b"\x02\x04" + clock + octets(datetime_bytes(from_ns)) + octets(datetime_bytes(to_ns)) + b"\x01\x00"


# ---- security suite 0 ----------------------------------------------------------------

TAG_LEN = 12


def gcm_encrypt(key, iv, aad, plain):
    e = Cipher(algorithms.AES(key), modes.GCM(iv)).encryptor()
    e.authenticate_additional_data(aad)
    c = e.update(plain) + e.finalize()
    return c, e.tag[:TAG_LEN]


def gcm_decrypt(key, iv, aad, cipher, tag):
    d = Cipher(algorithms.AES(key), modes.GCM(iv, tag, min_tag_length=TAG_LEN)).decryptor()
    d.authenticate_additional_data(aad)
    return d.update(cipher) + d.finalize()


GLO = {0x01: 0x21, 0xC0: 0xC8, 0xC1: 0xC9, 0xC3: 0xCB}


def protect(ek, ak, title, fc, plain):
    sc = 0x30
    iv = title + struct.pack(">I", fc)
    c, tag = gcm_encrypt(ek, iv, bytes([sc]) + ak, plain)
    body = bytes([sc]) + struct.pack(">I", fc) + c + tag
    return bytes([GLO[plain[0]]]) + length(len(body)) + body


def unprotect(ek, ak, title, apdu):
    n, i = read_length(apdu, 1)
    body = apdu[i:i + n]
    sc, fc = body[0], struct.unpack(">I", body[1:5])[0]
    iv = title + body[1:5]
    return gcm_decrypt(ek, iv, bytes([sc]) + ak, body[5:-TAG_LEN], body[-TAG_LEN:]), fc


def gmac(ak, ek, title, fc, challenge):
    """HLS-GMAC f(challenge) = SC 10 | FC | GMAC(SC | AK | challenge)."""
    iv = title + struct.pack(">I", fc)
    _, tag = gcm_encrypt(ek, iv, b"\x10" + ak + challenge, b"")
    return b"\x10" + struct.pack(">I", fc) + tag


# ---- ACSE (BER) -----------------------------------------------------------------------

def ber(tag, body):
    return bytes([tag]) + length(len(body)) + body


def initiate_request(max_pdu):
    conformance = bytes([0x00, 0x1E, 0x1D])  # get, set, action, selective access, block, with list
    return b"\x01\x00\x00\x00\x06\x5f\x1f\x04\x00" + conformance + struct.pack(">H", max_pdu)


def aarq(auth="none", password=b"", title=b"", ctos=b"", user_info=b""):
    ciphered = auth == "hls"
    body = ber(0xA1, ber(0x06, bytes([0x60, 0x85, 0x74, 0x05, 0x08, 0x01, 0x03 if ciphered else 0x01])))
    if ciphered:
        body += ber(0xA6, ber(0x04, title))
    if auth != "none":
        mech = 0x01 if auth == "lls" else 0x05
        body += bytes([0x8A, 0x02, 0x07, 0x80])
        body += ber(0x8B, bytes([0x60, 0x85, 0x74, 0x05, 0x08, 0x02, mech]))
        body += ber(0xAC, ber(0x80, password if auth == "lls" else ctos))
    body += ber(0xBE, ber(0x04, user_info))
    return ber(0x60, body)


def parse_aare(b):
    """{tag: contents} of the AARE's fields; result and diagnostic as numbers."""
    if b[0] != 0x61:
        raise ValueError(f"not an AARE: {b[:4].hex()}")
    n, i = read_length(b, 1)
    end, out = i + n, {}
    while i < end:
        tag = b[i]
        n, j = read_length(b, i + 1)
        out[tag] = b[j:j + n]
        i = j + n
    res = {"result": out[0xA2][-1], "diagnostic": out[0xA3][-1] if 0xA3 in out else None}
    if 0xA4 in out:
        res["title"] = out[0xA4][2:]
    if 0xAA in out:
        res["stoc"] = out[0xAA][2:]
    if 0xBE in out:
        res["user_info"] = out[0xBE][2:]
    return res


# ---- the master ---------------------------------------------------------------------------

class Refused(Exception):
    """An ExceptionResponse (D8): state error and service error."""

    def __init__(self, state, service):
        super().__init__(f"exception response: state {state}, service {service}")
        self.state, self.service = state, service


class AccessError(Exception):
    def __init__(self, dar):
        super().__init__(f"data-access-result {dar}")
        self.dar = dar


class Master:
    def __init__(self, host, port, client=16, server=1, max_pdu=1024, timeout=5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.client, self.server, self.max_pdu = client, server, max_pdu
        self.keys = None
        self.fc = 1
        self.blocks = 0

    def close(self):
        self.sock.close()

    # wrapper
    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, apdu):
        self.send_raw(struct.pack(">HHHH", 1, self.client, self.server, len(apdu)) + apdu)

    def recv_exact(self, n):
        b = b""
        while len(b) < n:
            chunk = self.sock.recv(n - len(b))
            if not chunk:
                raise ConnectionError("the server closed the connection")
            b += chunk
        return b

    def recv(self):
        version, src, dst, n = struct.unpack(">HHHH", self.recv_exact(8))
        if version != 1 or src != self.server or dst != self.client:
            raise ValueError(f"wrapper header {version} {src} -> {dst}")
        return self.recv_exact(n)

    def exchange(self, apdu):
        """Send a plain APDU (ciphered when the association is) and return the plain answer."""
        if self.keys and apdu[0] in GLO:
            ek, ak, title = self.keys
            apdu = protect(ek, ak, title, self.fc, apdu)
            self.fc += 1
        self.send(apdu)
        answer = self.recv()
        if answer[0] == 0xD8:
            raise Refused(answer[1], answer[2])
        if self.keys and answer[0] in (0xCC, 0xCD, 0xCF, 0x28):
            ek, ak, _ = self.keys
            answer, _ = unprotect(ek, ak, self.server_title, answer)
        return answer

    # associations
    def associate(self, auth="none", password=b"", ek=b"", ak=b"", title=b"GWDMSTR1", corrupt_f=False):
        """Returns the AARE's fields; raises when the server rejects. corrupt_f: HLS
        with a wrong f(StoC) (one bit flipped), as a client without the keys would."""
        if auth == "hls":
            ctos = os.urandom(16)
            ini = protect(ek, ak, title, self.fc, initiate_request(self.max_pdu))
            self.fc += 1
            self.send(aarq("hls", title=title, ctos=ctos, user_info=ini))
        else:
            self.send(aarq(auth, password=password, user_info=initiate_request(self.max_pdu)))
        a = parse_aare(self.recv())
        if a["result"] != 0:
            raise PermissionError(f"association rejected, diagnostic {a['diagnostic']}")
        if auth == "hls":
            self.server_title = a["title"]
            self.keys = (ek, ak, title)
            f = gmac(ak, ek, title, self.fc, a["stoc"])
            if corrupt_f:
                f = f[:-1] + bytes([f[-1] ^ 1])
            self.fc += 1
            act = b"\xc3\x01\xc1\x00\x0f" + obis_bytes("0-0:40.0.0.255") + b"\x01\x01" + octets(f)
            r = self.exchange(act)
            if r[0] != 0xC7 or r[3] != 0:
                self.keys = None
                raise PermissionError(f"HLS: the server did not accept f(StoC) (action result {r[3]})")
            back, _ = parse_data(r, 6)
            expect = gmac(ak, ek, self.server_title, struct.unpack(">I", back[1:5])[0], ctos)
            if back != expect:
                raise PermissionError("HLS: the server's f(CtoS) is wrong")
        return a

    def release(self):
        self.send(b"\x62\x00")
        return self.recv()

    # GET
    def get(self, class_id, obis, attr, access=None):
        req = b"\xc0\x01\xc1" + struct.pack(">H", class_id) + obis_bytes(obis) + bytes([attr])
        req += b"\x00" if access is None else b"\x01" + bytes([access[0]]) + access[1]
        return self._result(self.exchange(req))

    def get_list(self, refs):
        req = b"\xc0\x03\xc1" + bytes([len(refs)])
        for class_id, obis, attr in refs:
            req += struct.pack(">H", class_id) + obis_bytes(obis) + bytes([attr, 0])
        r = self.exchange(req)
        if r[1] == 0x02:
            return self._list(self._blocks(r))
        return self._list(r[3:])

    def _list(self, b):
        n, i = read_length(b, 0)
        out = []
        for _ in range(n):
            if b[i] == 0:
                v, i = parse_data(b, i + 1)
                out.append(v)
            else:
                out.append(AccessError(b[i + 1]))
                i += 2
        return out

    def _result(self, r):
        if r[0] != 0xC4:
            raise ValueError(f"not a GET response: {r[:4].hex()}")
        if r[1] == 0x01:
            if r[3] != 0:
                raise AccessError(r[4])
            return parse_data(r, 4)[0]
        if r[1] == 0x02:
            return parse_data(self._blocks(r), 0)[0]
        raise ValueError("unexpected GET response kind")

    def _blocks(self, r):
        data = b""
        while True:
            last, block = r[3], struct.unpack(">I", r[4:8])[0]
            if r[8] != 0:
                raise AccessError(r[9])
            n, i = read_length(r, 9)
            data += r[i:i + n]
            self.blocks += 1
            if last:
                return data
            r = self.exchange(b"\xc0\x02\xc1" + struct.pack(">I", block))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--client", type=int, default=16)
    ap.add_argument("--obis", default="0-0:96.1.0.255")
    ap.add_argument("--class", dest="class_id", type=int, default=1)
    ap.add_argument("--attr", type=int, default=2)
    a = ap.parse_args()
    m = Master(a.host, a.port, client=a.client)
    m.associate()
    print(m.get(a.class_id, a.obis, a.attr))
    m.release()


if __name__ == "__main__":
    main()
