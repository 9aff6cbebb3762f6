# cython: language_level=3, boundscheck=False, wraparound=False
"""PNG row unfiltering (None, Sub, Up, Average, Paeth), with the GIL released."""

from libc.stdint cimport uint8_t
from libc.stdlib cimport abs as c_abs
from libc.string cimport memcpy


cdef inline uint8_t _paeth(int a, int b, int c) noexcept nogil:
    cdef int p = a + b - c
    cdef int pa = c_abs(p - a), pb = c_abs(p - b), pc = c_abs(p - c)
    if pa <= pb and pa <= pc:
        return <uint8_t>a
    return <uint8_t>(b if pb <= pc else c)


cdef void _row(const uint8_t* line, const uint8_t* prev, uint8_t* cur, Py_ssize_t n,
               Py_ssize_t bpp, int ftype) noexcept nogil:
    # prev is NULL on the first row, where the row above counts as zeros
    cdef Py_ssize_t i
    if ftype == 0 or (ftype == 2 and prev == NULL):
        memcpy(cur, line, n)
    elif ftype == 1:
        for i in range(n):
            cur[i] = <uint8_t>(line[i] + (cur[i - bpp] if i >= bpp else 0))
    elif ftype == 2:
        for i in range(n):
            cur[i] = <uint8_t>(line[i] + prev[i])
    elif ftype == 3:
        for i in range(n):
            cur[i] = <uint8_t>(line[i] + (((cur[i - bpp] if i >= bpp else 0)
                                           + (prev[i] if prev != NULL else 0)) >> 1))
    elif prev == NULL:  # Paeth with a zero row above reduces to Sub
        for i in range(n):
            cur[i] = <uint8_t>(line[i] + (cur[i - bpp] if i >= bpp else 0))
    else:
        for i in range(n):
            if i >= bpp:
                cur[i] = <uint8_t>(line[i] + _paeth(cur[i - bpp], prev[i], prev[i - bpp]))
            else:
                cur[i] = <uint8_t>(line[i] + prev[i])


def unfilter(const uint8_t[:, ::1] rows, uint8_t[:, ::1] out, Py_ssize_t bpp):
    """Undo the per-row filters of ``rows`` (filter byte, then the row) into ``out``.

    The caller checks that every filter byte is 0-4.
    """
    cdef Py_ssize_t h = rows.shape[0], n = out.shape[1], r
    if out.shape[0] != h or rows.shape[1] != n + 1 or bpp < 1:
        raise ValueError(f"unfilter: rows {tuple(rows.shape)[:2]} do not fit output "
                         f"{tuple(out.shape)[:2]} with {bpp} bytes per pixel")
    if h == 0 or n == 0:
        return
    with nogil:
        for r in range(h):
            _row(&rows[r, 1], &out[r - 1, 0] if r > 0 else NULL, &out[r, 0], n, bpp, rows[r, 0])
