"""A pure-Python MD4 (RFC 1320) for hashlib.new('md4') where OpenSSL 3 dropped it (Debian 12).

Only for the interop tests: pywinrm's NTLM (ntlm-auth) needs MD4 to compute the NT hash.
"""
import hashlib
import struct

_orig_new = hashlib.new


def _f(x, y, z): return (x & y) | (~x & z)
def _g(x, y, z): return (x & y) | (x & z) | (y & z)
def _h(x, y, z): return x ^ y ^ z
def _rol(v, s): v &= 0xFFFFFFFF; return ((v << s) | (v >> (32 - s))) & 0xFFFFFFFF


class MD4:
    name = "md4"
    digest_size = 16
    block_size = 64

    def __init__(self, data=b""):
        self._buf = b""
        self._len = 0
        self._h = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476]
        self.update(data)

    def update(self, data):
        data = bytes(data)
        self._len += len(data)
        self._buf += data
        while len(self._buf) >= 64:
            self._block(self._buf[:64])
            self._buf = self._buf[64:]

    def _block(self, chunk):
        x = list(struct.unpack("<16I", chunk))
        a, b, c, d = self._h
        for i in range(16):
            k = i
            s = (3, 7, 11, 19)[i % 4]
            a, b, c, d = d, _rol(a + _f(b, c, d) + x[k], s), b, c
        for i in range(16):
            k = (i % 4) * 4 + i // 4
            s = (3, 5, 9, 13)[i % 4]
            a, b, c, d = d, _rol(a + _g(b, c, d) + x[k] + 0x5A827999, s), b, c
        order = [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15]
        for i in range(16):
            k = order[i]
            s = (3, 9, 11, 15)[i % 4]
            a, b, c, d = d, _rol(a + _h(b, c, d) + x[k] + 0x6ED9EBA1, s), b, c
        self._h = [(v + n) & 0xFFFFFFFF for v, n in zip(self._h, (a, b, c, d))]

    def digest(self):
        clone = MD4()
        clone._h, clone._buf, clone._len = list(self._h), self._buf, self._len
        bits = (self._len * 8) & 0xFFFFFFFFFFFFFFFF
        clone.update(b"\x80" + b"\x00" * ((55 - self._len) % 64) + struct.pack("<Q", bits))
        return struct.pack("<4I", *clone._h)

    def hexdigest(self):
        return self.digest().hex()

    def copy(self):
        c = MD4()
        c._h, c._buf, c._len = list(self._h), self._buf, self._len
        return c


def install():
    try:
        _orig_new("md4", b"")
        return False
    except ValueError:
        pass

    def new(name, data=b"", **kw):
        if str(name).lower() == "md4":
            return MD4(data)
        return _orig_new(name, data, **kw)
    hashlib.new = new
    return True


if __name__ == "__main__":
    assert MD4(b"").hexdigest() == "31d6cfe0d16ae931b73c59d7e0c089c0"
    assert MD4(b"abc").hexdigest() == "a448017aaf21d8525fc10ae87aa6729d"
    assert MD4(b"1234567890" * 8).hexdigest() == "e33b4ddc9c38f2199c3e7b164fcc0536"
    print("ok")
