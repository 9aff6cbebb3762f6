# cython: language_level=3
"""NumPy's SeedSequence hashing and PCG64 seeding, for reseeding a generator in place.

Building ``Generator(PCG64(SeedSequence(entropy)))`` costs tens of microseconds of interpreter
time per sample. The loader instead gives each worker one generator and sets its state to
exactly what that construction would produce: the mixing below follows NumPy's published
SeedSequence algorithm (pool of four 32-bit words) and PCG64's ``srandom`` seeding.
"""

from libc.stdint cimport uint32_t, uint64_t

cdef uint32_t INIT_A = 0x43b0d7e5
cdef uint32_t MULT_A = 0x931e8875
cdef uint32_t INIT_B = 0x8b51f9dd
cdef uint32_t MULT_B = 0x58f38ded
cdef uint32_t MIX_MULT_L = 0xca01f9dd
cdef uint32_t MIX_MULT_R = 0x4973f715

_PCG_MULT = 0x2360ED051FC65DA44385DF649FCCF645
_MASK128 = (1 << 128) - 1


cdef inline uint32_t _hashmix(uint32_t value, uint32_t* hash_const) noexcept nogil:
    value ^= hash_const[0]
    hash_const[0] *= MULT_A
    value *= hash_const[0]
    value ^= value >> 16
    return value


cdef inline uint32_t _mix(uint32_t x, uint32_t y) noexcept nogil:
    cdef uint32_t r = MIX_MULT_L * x - MIX_MULT_R * y
    r ^= r >> 16
    return r


def _entropy_words(values):
    words = []
    for v in values:
        v = int(v)
        if v == 0:
            words.append(0)
        while v > 0:
            words.append(v & 0xFFFFFFFF)
            v >>= 32
    return words


def pcg64_state(values):
    """``(state, inc)`` of ``PCG64(SeedSequence(values))``; ``values`` non-negative ints."""
    words = _entropy_words(values)
    cdef Py_ssize_t n = len(words), i, j
    cdef uint32_t pool[4]
    cdef uint32_t out[8]
    cdef uint32_t hc = INIT_A, v
    for i in range(4):
        pool[i] = _hashmix(<uint32_t>words[i] if i < n else 0, &hc)
    for i in range(4):
        for j in range(4):
            if i != j:
                pool[j] = _mix(pool[j], _hashmix(pool[i], &hc))
    for i in range(4, n):
        v = <uint32_t>words[i]
        for j in range(4):
            pool[j] = _mix(pool[j], _hashmix(v, &hc))
    hc = INIT_B
    for i in range(8):  # generate_state(4, uint64): eight 32-bit words, pairs little-endian
        v = pool[i % 4] ^ hc
        hc *= MULT_B
        v *= hc
        v ^= v >> 16
        out[i] = v
    cdef uint64_t w[4]
    for i in range(4):
        w[i] = (<uint64_t>out[2 * i]) | ((<uint64_t>out[2 * i + 1]) << 32)
    initstate = (int(w[0]) << 64) | int(w[1])
    initseq = (int(w[2]) << 64) | int(w[3])
    inc = ((initseq << 1) | 1) & _MASK128
    state = (inc + initstate) & _MASK128  # step from 0 gives inc, then add the seed
    state = (state * _PCG_MULT + inc) & _MASK128
    return state, inc
