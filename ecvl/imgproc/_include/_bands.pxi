# Shared by the banded uint8 filter drivers (_filters.pyx, _morphology.pyx): border-map checks
# and the per-thread work buffers of a run over bands of rows. Included, not cimported, so each
# extension module keeps its own copy.

from libc.stdint cimport uint8_t
from libc.stdlib cimport malloc
from libc.string cimport memset


cdef int check_maps(const Py_ssize_t[::1] rowmap, const Py_ssize_t[::1] cmap, Py_ssize_t H,
                    Py_ssize_t W, Py_ssize_t kh, Py_ssize_t kw, str what) except -1:
    """Border maps of an (H, W) image for a kh x kw kernel: the right lengths, entries in range."""
    if rowmap.shape[0] != H + kh - 1 or cmap.shape[0] != W + kw - 1:
        raise ValueError(f"{what}: border maps do not match the image and kernel")
    if not (map_in_range(rowmap, H) and map_in_range(cmap, W)):
        raise ValueError(f"{what}: border map out of range")
    return 0


cdef bint map_in_range(const Py_ssize_t[::1] m, Py_ssize_t n) noexcept nogil:
    """Every entry of a border map is a row/column of the image, or -1 (constant border)."""
    cdef Py_ssize_t i
    for i in range(m.shape[0]):
        if m[i] < -1 or m[i] >= n:
            return False
    return True


cdef struct BandPlan:
    int nt              # threads (1: run without entering a parallel region)
    Py_ssize_t nband    # bands of rows, handed out dynamically
    Py_ssize_t wb       # bytes of work buffer per thread, a multiple of 64
    char *raw           # what malloc returned: free() it
    char *work          # 64-byte aligned start of the nt buffers
    uint8_t *cvrow      # const_len bytes of the constant border value, after the buffers


cdef int band_plan(BandPlan *p, Py_ssize_t H, int nthreads, Py_ssize_t work_bytes,
                   Py_ssize_t const_len, uint8_t cval, str what) except -1:
    # a few bands per thread, handed out dynamically: a thread the OS pauses does not hold the
    # others up (each band re-reads its kernel's halo rows)
    p.nt = <int>max(1, min(<Py_ssize_t>nthreads, H))
    p.nband = 1 if p.nt == 1 else min(H, 4 * p.nt)
    p.wb = (work_bytes + 63) // 64 * 64
    p.raw = <char *> malloc(<size_t>(p.nt * p.wb + 64 + const_len))
    if p.raw == NULL:
        raise MemoryError(f"{what}: cannot allocate row buffers")
    p.work = <char *>((<size_t>p.raw + 63) & ~(<size_t>63))
    p.cvrow = <uint8_t *>(p.work + p.nt * p.wb)
    memset(p.cvrow, cval, <size_t>const_len)
    return 0
