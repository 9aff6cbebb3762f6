# cython: language_level=3
"""The common check of the geometric kernels' one-call entries (``flip_fast``, ``half_fast``,
``rotate_fast``, ...), which cost small images less than the Python checks they skip.

An entry takes a plain canonical array as it is: an ndarray (not a subclass), C-contiguous,
native byte order, one of the supported dtypes, not empty. For anything else it returns None
and the Python function validates (converts, or rejects with a clear error) as before.
"""

cimport numpy as cnp


cdef inline bint plain_array(object arr, int ndmin, int ndmax) noexcept:
    cdef cnp.ndarray a
    cdef int t, nd
    if type(arr) is not cnp.ndarray:
        return False
    a = <cnp.ndarray>arr
    nd = cnp.PyArray_NDIM(a)
    t = cnp.PyArray_TYPE(a)
    return (ndmin <= nd <= ndmax and cnp.PyArray_IS_C_CONTIGUOUS(a)
            and cnp.PyArray_ISNOTSWAPPED(a) and cnp.PyArray_SIZE(a) > 0
            and (t == cnp.NPY_UINT8 or t == cnp.NPY_INT8 or t == cnp.NPY_UINT16
                 or t == cnp.NPY_INT16 or t == cnp.NPY_INT32 or t == cnp.NPY_INT64
                 or t == cnp.NPY_FLOAT32 or t == cnp.NPY_FLOAT64))
