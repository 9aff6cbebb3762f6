# cython: language_level=3
"""OpenMP drivers for the contiguous kernels of src/ (element-wise maps and reductions).

Work is cut into fixed chunks of CHUNK elements whatever the thread count, and partial results
are combined in chunk order, so one thread and many threads give bit-identical results.
Callers (elementwise.py, reduce.py) pick the layout; this module re-checks dtypes, sizes and
extents before releasing the GIL, so no argument can make a kernel read out of bounds.
"""

cimport numpy as cnp
from cython.parallel cimport prange
from libc.stdlib cimport malloc, free

cnp.import_array()

cdef extern from "dh_kernels.h" nogil:
    ctypedef Py_ssize_t dh_int
    ctypedef void (*dh_unary_f32)(const float*, float*, dh_int, float, float) noexcept nogil
    ctypedef void (*dh_unary_f64)(const double*, double*, dh_int, double, double) noexcept nogil
    ctypedef void (*dh_binary_f32)(const float*, dh_int, const float*, dh_int, float*, dh_int) noexcept nogil
    ctypedef void (*dh_binary_f64)(const double*, dh_int, const double*, dh_int,
                                   double*, dh_int) noexcept nogil
    int DH_N_VM, DH_N_UNARY, DH_POW, DH_N_BINARY
    dh_unary_f32 dh_vm_unary_f32[16]
    dh_unary_f64 dh_vm_unary_f64[16]
    dh_unary_f32 dh_ew_unary_f32[16]
    dh_unary_f64 dh_ew_unary_f64[16]
    dh_binary_f32 dh_ew_binary_f32[4]
    dh_binary_f64 dh_ew_binary_f64[4]
    void dh_pow_f32(const float*, dh_int, const float*, dh_int, float*, dh_int)
    void dh_pow_f64(const double*, dh_int, const double*, dh_int, double*, dh_int)
    double dh_sum_f32(const float*, dh_int)
    double dh_sum_f64(const double*, dh_int)
    float dh_max_f32(const float*, dh_int)
    double dh_max_f64(const double*, dh_int)
    float dh_min_f32(const float*, dh_int)
    double dh_min_f64(const double*, dh_int)
    dh_int dh_argmax_f32(const float*, dh_int)
    dh_int dh_argmax_f64(const double*, dh_int)
    dh_int dh_argmin_f32(const float*, dh_int)
    dh_int dh_argmin_f64(const double*, dh_int)
    void dh_accsum_f32(double*, const float*, dh_int)
    void dh_accsum_f64(double*, const double*, dh_int)
    void dh_accmax_f32(float*, const float*, dh_int)
    void dh_accmax_f64(double*, const double*, dh_int)
    void dh_accmin_f32(float*, const float*, dh_int)
    void dh_accmin_f64(double*, const double*, dh_int)

cdef enum:
    CHUNK = 16384
    MID_BLOCK = 2048
CHUNK_SIZE = CHUNK

# Op numbers: the enums of dh_kernels.h.
UNARY_OPS = {name: i for i, name in enumerate(
    ["exp", "log", "log2", "log10", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh",
     "tanh", "sigmoid", "pow_scalar", "sqrt", "relu", "clamp", "abs", "neg", "sqr"])}
BINARY_OPS = {"add": 0, "sub": 1, "mul": 2, "div": 3, "pow": 4}
REDUCE_OPS = {"sum": 0, "max": 1, "min": 2, "argmax": 3, "argmin": 4}
# Ops whose cost is the math, not the memory traffic: worth threads from two chunks on.
COMPUTE_BOUND = frozenset(n for n, i in UNARY_OPS.items() if i < 16) | {"pow"}

ctypedef void (*job_fn)(void* ctx, Py_ssize_t i) noexcept nogil


cdef void _parallel(job_fn job, void* ctx, Py_ssize_t nitems, int nt) noexcept nogil:
    cdef Py_ssize_t i
    if nt > nitems:
        nt = <int>nitems
    if nt > 1:
        for i in prange(nitems, num_threads=nt, schedule="static"):
            job(ctx, i)
    else:
        for i in range(nitems):
            job(ctx, i)


cdef bint _is64(cnp.ndarray x) except -1:
    if x.descr.type_num == cnp.NPY_FLOAT64:
        return True
    if x.descr.type_num == cnp.NPY_FLOAT32:
        return False
    raise TypeError(f"kernel: float32/float64 expected, got {x.dtype}")


cdef _check_c(cnp.ndarray x, str what, bint write=False):
    if not cnp.PyArray_IS_C_CONTIGUOUS(x):
        raise ValueError(f"kernel: {what} must be C-contiguous")
    if write and not x.flags.writeable:
        raise ValueError(f"kernel: {what} is read-only")


# ---------------------------------------------------------------- unary

ctypedef struct UnaryCtx:
    void* f
    char* x
    char* y
    Py_ssize_t n
    Py_ssize_t isz
    double p, q
    bint is64


cdef void _unary_job(void* vctx, Py_ssize_t i) noexcept nogil:
    cdef UnaryCtx* c = <UnaryCtx*>vctx
    cdef Py_ssize_t s = i * CHUNK
    cdef Py_ssize_t m = min(<Py_ssize_t>CHUNK, c.n - s)
    if c.is64:
        (<dh_unary_f64>c.f)(<double*>(c.x + s * c.isz), <double*>(c.y + s * c.isz), m, c.p, c.q)
    else:
        (<dh_unary_f32>c.f)(<float*>(c.x + s * c.isz), <float*>(c.y + s * c.isz), m,
                            <float>c.p, <float>c.q)


def unary(str name, cnp.ndarray x, cnp.ndarray y, double p, double q, int nthreads):
    """``y = f(x)`` elementwise for C-contiguous float arrays of one dtype and size."""
    cdef int op = UNARY_OPS[name]
    cdef bint is64 = _is64(x)
    _check_c(x, "input")
    _check_c(y, "output", True)
    if y.descr.type_num != x.descr.type_num or y.size != x.size:
        raise ValueError("kernel: output dtype/size differ from the input")
    cdef UnaryCtx c
    if op < DH_N_VM:
        c.f = <void*>dh_vm_unary_f64[op] if is64 else <void*>dh_vm_unary_f32[op]
    else:
        c.f = <void*>dh_ew_unary_f64[op - DH_N_VM] if is64 else <void*>dh_ew_unary_f32[op - DH_N_VM]
    c.x = <char*>cnp.PyArray_DATA(x)
    c.y = <char*>cnp.PyArray_DATA(y)
    c.n = x.size
    c.isz = x.itemsize
    c.p = p
    c.q = q
    c.is64 = is64
    with nogil:
        _parallel(_unary_job, &c, (c.n + CHUNK - 1) // CHUNK, nthreads)


# ---------------------------------------------------------------- binary

ctypedef struct BinaryCtx:
    void* f
    char* a
    char* b
    char* z
    Py_ssize_t ars, acs, brs, bcs, n, per_row, isz
    bint is64


cdef void _binary_job(void* vctx, Py_ssize_t i) noexcept nogil:
    cdef BinaryCtx* c = <BinaryCtx*>vctx
    cdef Py_ssize_t r = i // c.per_row
    cdef Py_ssize_t s = (i % c.per_row) * CHUNK
    cdef Py_ssize_t m = min(<Py_ssize_t>CHUNK, c.n - s)
    cdef char* pa = c.a + (r * c.ars + s * c.acs) * c.isz
    cdef char* pb = c.b + (r * c.brs + s * c.bcs) * c.isz
    cdef char* pz = c.z + (r * c.n + s) * c.isz
    if c.is64:
        (<dh_binary_f64>c.f)(<double*>pa, c.acs, <double*>pb, c.bcs, <double*>pz, m)
    else:
        (<dh_binary_f32>c.f)(<float*>pa, c.acs, <float*>pb, c.bcs, <float*>pz, m)


cdef _check_extent(cnp.ndarray x, Py_ssize_t rows, Py_ssize_t n, Py_ssize_t rs, Py_ssize_t cs):
    if cs not in (0, 1) or rs < 0:
        raise ValueError("kernel: operand strides must be 0/1 (columns) and >= 0 (rows)")
    if (rows - 1) * rs + (n - 1) * cs >= x.size:
        raise ValueError("kernel: operand is smaller than its broadcast layout")


def binary(str name, cnp.ndarray a, Py_ssize_t ars, Py_ssize_t acs, cnp.ndarray b,
           Py_ssize_t brs, Py_ssize_t bcs, cnp.ndarray z, Py_ssize_t rows, Py_ssize_t n,
           int nthreads):
    """``z[r, j] = a[r*ars + j*acs] op b[r*brs + j*bcs]`` with ``z`` C-contiguous (rows, n)."""
    cdef int op = BINARY_OPS[name]
    cdef bint is64 = _is64(z)
    _check_c(a, "lhs")
    _check_c(b, "rhs")
    _check_c(z, "output", True)
    if a.descr.type_num != z.descr.type_num or b.descr.type_num != z.descr.type_num:
        raise ValueError("kernel: operand dtypes differ")
    if rows <= 0 or n <= 0 or rows * n != z.size:
        raise ValueError("kernel: output size does not match the layout")
    _check_extent(a, rows, n, ars, acs)
    _check_extent(b, rows, n, brs, bcs)
    cdef BinaryCtx c
    if op == 4:
        c.f = <void*>dh_pow_f64 if is64 else <void*>dh_pow_f32
    else:
        c.f = <void*>dh_ew_binary_f64[op] if is64 else <void*>dh_ew_binary_f32[op]
    c.a = <char*>cnp.PyArray_DATA(a)
    c.b = <char*>cnp.PyArray_DATA(b)
    c.z = <char*>cnp.PyArray_DATA(z)
    c.ars, c.acs, c.brs, c.bcs = ars, acs, brs, bcs
    c.n = n
    c.per_row = (n + CHUNK - 1) // CHUNK
    c.isz = z.itemsize
    c.is64 = is64
    with nogil:
        _parallel(_binary_job, &c, rows * c.per_row, nthreads)


# ---------------------------------------------------------------- reductions

ctypedef struct ReduceCtx:
    char* x
    Py_ssize_t n, isz
    int op
    bint is64
    double* val
    Py_ssize_t* idx
    # rows/mid layouts
    Py_ssize_t r, inner, per_outer
    char* out


cdef void _chunk_reduce(int op, bint is64, char* x, Py_ssize_t s, Py_ssize_t m,
                        double* val, Py_ssize_t* idx) noexcept nogil:
    cdef Py_ssize_t k = 0
    if is64:
        if op == 0:
            val[0] = dh_sum_f64(<double*>x + s, m)
        elif op == 1:
            val[0] = dh_max_f64(<double*>x + s, m)
        elif op == 2:
            val[0] = dh_min_f64(<double*>x + s, m)
        else:
            k = dh_argmax_f64(<double*>x + s, m) if op == 3 else dh_argmin_f64(<double*>x + s, m)
            val[0] = (<double*>x)[s + k]
    else:
        if op == 0:
            val[0] = dh_sum_f32(<float*>x + s, m)
        elif op == 1:
            val[0] = dh_max_f32(<float*>x + s, m)
        elif op == 2:
            val[0] = dh_min_f32(<float*>x + s, m)
        else:
            k = dh_argmax_f32(<float*>x + s, m) if op == 3 else dh_argmin_f32(<float*>x + s, m)
            val[0] = (<float*>x)[s + k]
    idx[0] = s + k


cdef void _combine(int op, double* val, Py_ssize_t* idx, Py_ssize_t nch,
                   double* rv, Py_ssize_t* ri) noexcept nogil:
    """Fold chunk results in chunk order: the first NaN and the first extreme win."""
    cdef Py_ssize_t i
    cdef double v = val[0], w
    cdef Py_ssize_t k = idx[0]
    for i in range(1, nch):
        w = val[i]
        if op == 0:
            v = v + w
        elif v != v:
            break
        elif w != w or (op in (1, 3) and w > v) or (op in (2, 4) and w < v):
            v = w
            k = idx[i]
    rv[0] = v
    ri[0] = k


cdef void _flat_job(void* vctx, Py_ssize_t i) noexcept nogil:
    cdef ReduceCtx* c = <ReduceCtx*>vctx
    cdef Py_ssize_t s = i * CHUNK
    _chunk_reduce(c.op, c.is64, c.x, s, min(<Py_ssize_t>CHUNK, c.n - s), c.val + i, c.idx + i)


cdef void _span(int op, bint is64, char* x, Py_ssize_t n, double* tv, Py_ssize_t* ti,
                double* rv, Py_ssize_t* ri) noexcept nogil:
    """Serial version of the flat reduction (same chunks, same fold) into rv/ri."""
    cdef Py_ssize_t nch = (n + CHUNK - 1) // CHUNK, i
    for i in range(nch):
        _chunk_reduce(op, is64, x, i * CHUNK, min(<Py_ssize_t>CHUNK, n - i * CHUNK),
                      tv + i, ti + i)
    _combine(op, tv, ti, nch, rv, ri)


cdef void _rows_job(void* vctx, Py_ssize_t o) noexcept nogil:
    cdef ReduceCtx* c = <ReduceCtx*>vctx
    cdef Py_ssize_t nch = (c.r + CHUNK - 1) // CHUNK
    if nch == 1:
        _chunk_reduce(c.op, c.is64, c.x + o * c.r * c.isz, 0, c.r, c.val + o, c.idx + o)
        return
    cdef double* tv = <double*>malloc(nch * sizeof(double))
    cdef Py_ssize_t* ti = <Py_ssize_t*>malloc(nch * sizeof(Py_ssize_t))
    if tv == NULL or ti == NULL:
        # Marked as failed; the caller checks the sentinel index and raises MemoryError.
        c.idx[o] = -1
    else:
        _span(c.op, c.is64, c.x + o * c.r * c.isz, c.r, tv, ti, c.val + o, c.idx + o)
    free(tv)
    free(ti)


def reduce_rows(str name, cnp.ndarray x, Py_ssize_t outer, int nthreads):
    """Reduce each row of C-contiguous ``x`` seen as ``(outer, r)``.

    Returns ``(values, indices)`` as float64 and intp arrays of length ``outer``; indices are
    meaningful for argmax/argmin only.
    """
    cdef int op = REDUCE_OPS[name]
    cdef bint is64 = _is64(x)
    _check_c(x, "input")
    if outer <= 0 or x.size == 0 or x.size % outer:
        raise ValueError("kernel: bad reduction layout")
    cdef Py_ssize_t r = x.size // outer
    cdef cnp.ndarray val = cnp.PyArray_EMPTY(1, [outer], cnp.NPY_FLOAT64, 0)
    cdef cnp.ndarray idx = cnp.PyArray_EMPTY(1, [outer], cnp.NPY_INTP, 0)
    cdef ReduceCtx c
    c.x = <char*>cnp.PyArray_DATA(x)
    c.isz = x.itemsize
    c.op = op
    c.is64 = is64
    c.r = r
    c.val = <double*>cnp.PyArray_DATA(val)
    c.idx = <Py_ssize_t*>cnp.PyArray_DATA(idx)
    cdef Py_ssize_t nch = (r + CHUNK - 1) // CHUNK, o
    cdef cnp.ndarray tv, ti
    if outer >= nthreads or nch == 1:
        with nogil:
            _parallel(_rows_job, &c, outer, nthreads)
        if (idx < 0).any():
            raise MemoryError("reduction: out of memory for partial results")
        return val, idx
    # Few long rows: threads share each row's chunks instead.
    tv = cnp.PyArray_EMPTY(1, [nch], cnp.NPY_FLOAT64, 0)
    ti = cnp.PyArray_EMPTY(1, [nch], cnp.NPY_INTP, 0)
    c.n = r
    c.val = <double*>cnp.PyArray_DATA(tv)
    c.idx = <Py_ssize_t*>cnp.PyArray_DATA(ti)
    for o in range(outer):
        c.x = <char*>cnp.PyArray_DATA(x) + o * r * c.isz
        with nogil:
            _parallel(_flat_job, &c, nch, nthreads)
            _combine(op, c.val, c.idx, nch, <double*>cnp.PyArray_DATA(val) + o,
                     <Py_ssize_t*>cnp.PyArray_DATA(idx) + o)
    return val, idx


cdef void _mid_job(void* vctx, Py_ssize_t i) noexcept nogil:
    cdef ReduceCtx* c = <ReduceCtx*>vctx
    cdef Py_ssize_t o = i // c.per_outer
    cdef Py_ssize_t j0 = (i % c.per_outer) * MID_BLOCK
    cdef Py_ssize_t m = min(<Py_ssize_t>MID_BLOCK, c.inner - j0), k, j
    cdef char* src = c.x + (o * c.r * c.inner + j0) * c.isz
    cdef Py_ssize_t step = c.inner * c.isz
    cdef Py_ssize_t osz = sizeof(double) if (c.op == 0 or c.is64) else sizeof(float)
    cdef char* acc = c.out + (o * c.inner + j0) * osz
    if c.op == 0:
        for j in range(m):
            (<double*>acc)[j] = 0.0
        for k in range(c.r):
            if c.is64:
                dh_accsum_f64(<double*>acc, <double*>(src + k * step), m)
            else:
                dh_accsum_f32(<double*>acc, <float*>(src + k * step), m)
        return
    for j in range(m * osz):
        acc[j] = src[j]
    for k in range(1, c.r):
        if c.is64:
            if c.op == 1:
                dh_accmax_f64(<double*>acc, <double*>(src + k * step), m)
            else:
                dh_accmin_f64(<double*>acc, <double*>(src + k * step), m)
        else:
            if c.op == 1:
                dh_accmax_f32(<float*>acc, <float*>(src + k * step), m)
            else:
                dh_accmin_f32(<float*>acc, <float*>(src + k * step), m)


def reduce_mid(str name, cnp.ndarray x, Py_ssize_t outer, Py_ssize_t r, cnp.ndarray out,
               int nthreads):
    """sum/max/min of C-contiguous ``x`` seen as ``(outer, r, inner)`` over the middle axis.

    ``out`` is C-contiguous ``(outer, inner)``: float64 for sums, the input dtype otherwise.
    """
    cdef int op = REDUCE_OPS[name]
    if op > 2:
        raise ValueError("kernel: reduce_mid supports sum, max and min")
    cdef bint is64 = _is64(x)
    _check_c(x, "input")
    _check_c(out, "output", True)
    if outer <= 0 or r <= 0 or x.size == 0 or x.size % (outer * r):
        raise ValueError("kernel: bad reduction layout")
    cdef Py_ssize_t inner = x.size // (outer * r)
    want = cnp.NPY_FLOAT64 if (op == 0 or is64) else cnp.NPY_FLOAT32
    if out.descr.type_num != want or out.size != outer * inner:
        raise ValueError("kernel: reduction output has the wrong dtype or size")
    cdef ReduceCtx c
    c.x = <char*>cnp.PyArray_DATA(x)
    c.out = <char*>cnp.PyArray_DATA(out)
    c.isz = x.itemsize
    c.op = op
    c.is64 = is64
    c.r = r
    c.inner = inner
    c.per_outer = (inner + MID_BLOCK - 1) // MID_BLOCK
    with nogil:
        _parallel(_mid_job, &c, outer * c.per_outer, nthreads)
    return out
