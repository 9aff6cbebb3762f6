"""Seeded mutations of file contents: bit flips, truncation, insertion, header fields, size lies.

Every mutation is a pure function of (data, generator), so a case is reproduced from the
target name and case number alone.
"""

import re
import struct

import numpy as np

# values that break parsers most often when written over a header field
_INTERESTING = (0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF,
                0x80000000, 0xFFFFFFFF, 20000, 65536 * 3)


def bitflip(data, rng, fields):
    data = bytearray(data)
    for _ in range(int(rng.integers(1, 9))):
        head = min(len(data), 1024)
        pos = int(rng.integers(0, head if rng.random() < 0.7 else len(data)))
        data[pos] ^= 1 << int(rng.integers(0, 8))
    return bytes(data)


def truncate(data, rng, fields):
    return data[:int(rng.integers(0, len(data)))]


def insert(data, rng, fields):
    pos = int(rng.integers(0, len(data) + 1))
    blob = rng.integers(0, 256, int(rng.integers(1, 65)), dtype=np.uint8).tobytes()
    if rng.random() < 0.3:  # repeat a piece of the file itself: structure, not noise
        a = int(rng.integers(0, len(data)))
        blob = data[a:a + int(rng.integers(1, 257))]
    return data[:pos] + blob + data[pos:]


def _write_int(data, pos, width, big, value):
    fmt = (">" if big else "<") + {1: "B", 2: "H", 4: "I"}[width]
    value &= (1 << (8 * width)) - 1
    return data[:pos] + struct.pack(fmt, value) + data[pos + width:]


def header_field(data, rng, fields):
    """Overwrite an integer in the header (or a known field) with an interesting value."""
    if fields and rng.random() < 0.6:
        pos, width, big = fields[int(rng.integers(0, len(fields)))]
    else:
        width = int(rng.choice([1, 2, 4]))
        pos, big = int(rng.integers(0, max(1, min(len(data), 512) - width))), bool(rng.random() < 0.5)
    if pos + width > len(data):
        return bitflip(data, rng, fields)
    return _write_int(data, pos, width, big, int(rng.choice(_INTERESTING)))


def size_lie(data, rng, fields):
    """Multiply a known size field (or any small header integer) so the header lies."""
    if not fields:
        return header_field(data, rng, fields)
    pos, width, big = fields[int(rng.integers(0, len(fields)))]
    if pos + width > len(data):
        return truncate(data, rng, fields)
    fmt = (">" if big else "<") + {1: "B", 2: "H", 4: "I"}[width]
    (old,) = struct.unpack_from(fmt, data, pos)
    new = old * int(rng.choice([2, 3, 16, 1000, 1 << 15])) + int(rng.integers(0, 3))
    return _write_int(data, pos, width, big, new)


BYTE_MUTATIONS = {"bitflip": bitflip, "truncate": truncate, "insert": insert,
                  "header_field": header_field, "size_lie": size_lie}

_NUMBER = re.compile(rb"-?\d+(?:\.\d+)?")


def text_mutation(data, rng):
    """Mutations for text formats (YAML, DSL, JSON): token-level, then byte-level."""
    kind = int(rng.integers(0, 8))
    nums = list(_NUMBER.finditer(data))
    if kind == 0 and nums:  # a number becomes huge, negative, fractional or NaN-like
        m = nums[int(rng.integers(0, len(nums)))]
        new = rng.choice([b"1e308", b"-1", b"99999999999999999999", b"65536", b"0.5", b"nan",
                          b"-0", b"1e-320", b"2147483648", b"inf"])
        return data[:m.start()] + bytes(new) + data[m.end():]
    if kind == 1:  # duplicate or drop a line
        lines = data.split(b"\n")
        i = int(rng.integers(0, len(lines)))
        if rng.random() < 0.5:
            lines.insert(i, lines[i])
        else:
            del lines[i]
        return b"\n".join(lines)
    if kind == 2:  # punctuation that opens structure, unbalanced
        pos = int(rng.integers(0, len(data) + 1))
        return data[:pos] + bytes(rng.choice([b"[", b"{", b"(", b"]", b"}", b")", b'"', b":",
                                              b"&a ", b"*a", b"- ", b"\t", b"#"])) + data[pos:]
    if kind == 3:  # invalid UTF-8 or control bytes
        pos = int(rng.integers(0, len(data) + 1))
        return data[:pos] + bytes(rng.choice([b"\xff", b"\xc3", b"\x00", b"\xe2\x82", b"\r"])) + data[pos:]
    return BYTE_MUTATIONS[["bitflip", "truncate", "insert", "insert", "bitflip"][kind - 3]](data, rng, [])


def mutate(data, rng, fields, text=False):
    """One seeded mutation of ``data``; returns (name, mutated bytes)."""
    if text and rng.random() < 0.7:
        return "text", text_mutation(data, rng)
    names = list(BYTE_MUTATIONS)
    name = names[int(rng.integers(0, len(names)))]
    return name, BYTE_MUTATIONS[name](data, rng, fields)
