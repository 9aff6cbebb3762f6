# cython: language_level=3
"""Build-time facts about OpenMP, compiled into each package."""

cdef extern from "dh_config.h":
    int DH_HAVE_OPENMP
    const char* DH_BUILD_CC
    const char* DH_BUILDTYPE

cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    static int dh_omp_version(void) { return _OPENMP; }
    static int dh_omp_max_threads(void) { return omp_get_max_threads(); }
    #else
    static int dh_omp_version(void) { return 0; }
    static int dh_omp_max_threads(void) { return 1; }
    #endif
    """
    int dh_omp_version()
    int dh_omp_max_threads()


def openmp_enabled():
    """Return True when the compiled kernels were built with OpenMP."""
    return bool(DH_HAVE_OPENMP) and dh_omp_version() != 0


def openmp_version():
    """The ``_OPENMP`` date macro the kernels were compiled with (0 without OpenMP)."""
    return dh_omp_version()


def omp_max_threads():
    """What the OpenMP runtime would use by default (1 without OpenMP)."""
    return dh_omp_max_threads()


def build_info():
    return {"compiler": DH_BUILD_CC.decode(), "buildtype": DH_BUILDTYPE.decode()}
