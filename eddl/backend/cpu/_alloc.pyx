# cython: language_level=3
"""A caching NumPy memory handler for the large results of the CPU kernels.

A fresh multi-megabyte ``np.empty`` comes from ``mmap``: the first write to each page faults
and the kernel zeroes it, which costs as much as an ``exp`` over the same data. Freed large
blocks are therefore kept (up to a byte limit) and handed back to the next allocation of the
same size, as PyTorch's caching allocators do. Only arrays created through :func:`empty` use
the handler (NumPy keeps the handler per array, so they are also freed through it); other
arrays are untouched.
"""

cimport numpy as cnp
import numpy as np

cnp.import_array()

cdef extern from *:
    """
    #include <stdlib.h>
    #include <pthread.h>
    #include <numpy/arrayobject.h>

    #define DH_SLOTS 8
    #define DH_MIN_CACHED ((size_t)1 << 20)
    static struct { void *p; size_t n; } dh_slots[DH_SLOTS];
    static size_t dh_cached = 0, dh_limit = (size_t)256 << 20;
    static int dh_next = 0;
    static pthread_mutex_t dh_lock = PTHREAD_MUTEX_INITIALIZER;

    static void dh_evict_locked(int i) {
        free(dh_slots[i].p);
        dh_cached -= dh_slots[i].n;
        dh_slots[i].p = NULL;
        dh_slots[i].n = 0;
    }

    static void *dh_malloc(void *ctx, size_t n) {
        (void)ctx;
        if (n >= DH_MIN_CACHED) {
            pthread_mutex_lock(&dh_lock);
            for (int i = 0; i < DH_SLOTS; i++) {
                if (dh_slots[i].p != NULL && dh_slots[i].n == n) {
                    void *p = dh_slots[i].p;
                    dh_slots[i].p = NULL;
                    dh_slots[i].n = 0;
                    dh_cached -= n;
                    pthread_mutex_unlock(&dh_lock);
                    return p;
                }
            }
            pthread_mutex_unlock(&dh_lock);
        }
        return malloc(n ? n : 1);
    }

    static void *dh_calloc(void *ctx, size_t k, size_t n) { (void)ctx; return calloc(k ? k : 1, n ? n : 1); }
    static void *dh_realloc(void *ctx, void *p, size_t n) { (void)ctx; return realloc(p, n ? n : 1); }

    /* NumPy passes the size the block was allocated (or last reallocated) with. */
    static void dh_free(void *ctx, void *p, size_t n) {
        (void)ctx;
        if (p == NULL) return;
        pthread_mutex_lock(&dh_lock);
        if (n >= DH_MIN_CACHED && n <= dh_limit) {
            for (int i = 0; i < DH_SLOTS && dh_cached + n > dh_limit; i++)
                if (dh_slots[i].p != NULL) dh_evict_locked(i);
            int slot = -1;
            for (int i = 0; i < DH_SLOTS; i++)
                if (dh_slots[i].p == NULL) { slot = i; break; }
            if (slot < 0) {
                slot = dh_next;
                dh_next = (dh_next + 1) % DH_SLOTS;
                dh_evict_locked(slot);
            }
            dh_slots[slot].p = p;
            dh_slots[slot].n = n;
            dh_cached += n;
            pthread_mutex_unlock(&dh_lock);
            return;
        }
        pthread_mutex_unlock(&dh_lock);
        free(p);
    }

    static PyDataMem_Handler dh_handler = {
        "eddl_caching_allocator", 1,
        {NULL, dh_malloc, dh_calloc, dh_realloc, dh_free}
    };

    static PyObject *dh_handler_capsule(void) {
        return PyCapsule_New(&dh_handler, "mem_handler", NULL);
    }

    static size_t dh_set_limit(size_t bytes) {
        pthread_mutex_lock(&dh_lock);
        size_t old = dh_limit;
        dh_limit = bytes;
        for (int i = 0; i < DH_SLOTS && dh_cached > dh_limit; i++)
            if (dh_slots[i].p != NULL) dh_evict_locked(i);
        pthread_mutex_unlock(&dh_lock);
        return old;
    }

    static size_t dh_cached_bytes(void) {
        pthread_mutex_lock(&dh_lock);
        size_t n = dh_cached;
        pthread_mutex_unlock(&dh_lock);
        return n;
    }
    """
    object dh_handler_capsule()
    size_t dh_set_limit(size_t) nogil
    size_t dh_cached_bytes() nogil
    object PyDataMem_SetHandler(object)

_HANDLER = dh_handler_capsule()
# Below this many bytes malloc serves blocks from its own free lists without page faults.
MIN_CACHED = 1 << 20


def empty(shape, dtype):
    """``np.empty(shape, dtype)``; large blocks are recycled through the cache when freed."""
    cdef Py_ssize_t nbytes = np.dtype(dtype).itemsize
    for d in shape:
        nbytes *= d
    if nbytes < MIN_CACHED:
        return np.empty(shape, dtype)
    old = PyDataMem_SetHandler(_HANDLER)
    try:
        return np.empty(shape, dtype)
    finally:
        PyDataMem_SetHandler(old)


def set_cache_limit(nbytes):
    """Set how many bytes of freed kernel results are kept for reuse.

    Parameters
    ----------
    nbytes : int
        The limit in bytes; 0 disables the cache and frees what it holds.

    Returns
    -------
    int
        The previous limit (256 MiB by default).
    """
    if isinstance(nbytes, bool) or not isinstance(nbytes, int) or nbytes < 0:
        raise ValueError(f"cache limit must be a non-negative int of bytes, got {nbytes!r}")
    return dh_set_limit(nbytes)


def cached_bytes():
    """Return the bytes held by the cache of freed kernel results, free for reuse.

    Returns
    -------
    int
        Bytes currently cached.
    """
    return dh_cached_bytes()
