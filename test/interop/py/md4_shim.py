"""Pure-Python MD4 (RFC 1320) for pywinrm interop tests.

Debian 12's Python links OpenSSL 3, whose default provider has no MD4, so ntlm-auth's
``hashlib.new('md4', data)`` fails with "unsupported hash type md4". Call ``install()`` before
pywinrm authenticates (e.g. at the top of the driver script) and ``hashlib.new('md4', ...)``
returns this implementation; every other algorithm goes to the original ``hashlib.new``.

    import md4_shim; md4_shim.install()

Run ``python3 md4_shim.py`` to check it against the RFC 1320 test suite.
"""

import hashlib
import struct

_MASK = 0xFFFFFFFF


def _rotl(x, n):
    x &= _MASK
    return ((x << n) | (x >> (32 - n))) & _MASK


def _compress(state, block):
    x = struct.unpack("<16I", block)
    a, b, c, d = state

    def f(x_, y, z):
        return (x_ & y) | (~x_ & z)

    def g(x_, y, z):
        return (x_ & y) | (x_ & z) | (y & z)

    def h(x_, y, z):
        return x_ ^ y ^ z

    # Round 1: shifts 3, 7, 11, 19 over words in order.
    for i in range(0, 16, 4):
        a = _rotl(a + f(b, c, d) + x[i], 3)
        d = _rotl(d + f(a, b, c) + x[i + 1], 7)
        c = _rotl(c + f(d, a, b) + x[i + 2], 11)
        b = _rotl(b + f(c, d, a) + x[i + 3], 19)
    # Round 2: shifts 3, 5, 9, 13 over words by column, constant 0x5A827999.
    for i in range(4):
        a = _rotl(a + g(b, c, d) + x[i] + 0x5A827999, 3)
        d = _rotl(d + g(a, b, c) + x[i + 4] + 0x5A827999, 5)
        c = _rotl(c + g(d, a, b) + x[i + 8] + 0x5A827999, 9)
        b = _rotl(b + g(c, d, a) + x[i + 12] + 0x5A827999, 13)
    # Round 3: shifts 3, 9, 11, 15 over words in bit-reversed order, constant 0x6ED9EBA1.
    for i in (0, 2, 1, 3):
        a = _rotl(a + h(b, c, d) + x[i] + 0x6ED9EBA1, 3)
        d = _rotl(d + h(a, b, c) + x[i + 8] + 0x6ED9EBA1, 9)
        c = _rotl(c + h(d, a, b) + x[i + 4] + 0x6ED9EBA1, 11)
        b = _rotl(b + h(c, d, a) + x[i + 12] + 0x6ED9EBA1, 15)
    return [(s + v) & _MASK for s, v in zip(state, (a, b, c, d))]


class MD4:
    """A hashlib-style MD4 object: update(), digest(), hexdigest(), copy()."""

    name = "md4"
    digest_size = 16
    block_size = 64

    def __init__(self, data=b""):
        self._state = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476]
        self._buffer = b""
        self._length = 0
        if data:
            self.update(data)

    def update(self, data):
        data = bytes(data)
        self._length += len(data)
        buf = self._buffer + data
        whole = len(buf) - len(buf) % 64
        for off in range(0, whole, 64):
            self._state = _compress(self._state, buf[off:off + 64])
        self._buffer = buf[whole:]

    def copy(self):
        other = MD4()
        other._state = list(self._state)
        other._buffer = self._buffer
        other._length = self._length
        return other

    def digest(self):
        bit_len = (self._length * 8) & 0xFFFFFFFFFFFFFFFF
        pad = b"\x80" + b"\x00" * ((55 - self._length) % 64) + struct.pack("<Q", bit_len)
        state = self._state
        tail = self._buffer + pad
        for off in range(0, len(tail), 64):
            state = _compress(state, tail[off:off + 64])
        return struct.pack("<4I", *state)

    def hexdigest(self):
        return self.digest().hex()


_original_new = hashlib.new


def _new(name, data=b"", **kwargs):
    if isinstance(name, str) and name.lower() == "md4":
        return MD4(data)
    return _original_new(name, data, **kwargs)


def install():
    """Make hashlib.new('md4', ...) work (idempotent). Returns the MD4 class."""
    if hashlib.new is not _new:
        hashlib.new = _new
    return MD4


RFC1320_SUITE = [
    (b"", "31d6cfe0d16ae931b73c59d7e0c089c0"),
    (b"a", "bde52cb31de33e46245e05fbdbd6fb24"),
    (b"abc", "a448017aaf21d8525fc10ae87aa6729d"),
    (b"message digest", "d9130a8164549fe818874806e1c7014b"),
    (b"abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9"),
    (b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "043f8582f241db351ce627e153e7f0e4"),
    (b"1234567890" * 8, "e33b4ddc9c38f2199c3e7b164fcc0536"),
]


if __name__ == "__main__":
    install()
    for message, expected in RFC1320_SUITE:
        got = hashlib.new("md4", message).hexdigest()
        assert got == expected, (message, got, expected)
    h = hashlib.new("md4")
    for i in range(0, 203, 7):
        h.update(bytes(range(i, i + 7)))
    assert h.hexdigest() == hashlib.new("md4", bytes(range(203))).hexdigest()
    assert h.copy().digest() == h.digest()
    assert hashlib.new("md4", "Password".encode("utf-16-le")).hexdigest() == "a4f49c406510bdcab6824ee7c30fd852"
    print("md4_shim: RFC 1320 suite ok")
