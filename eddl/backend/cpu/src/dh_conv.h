/* Small-GEMM kernels of the convolution tiles (_convtile.pyx).
 *
 * A convolution with few filters multiplies a small weight matrix by a wide unfolded tile.
 * BLAS packs the tile into its own layout before multiplying it; with 16-64 filters that copy
 * costs as much as the arithmetic. These kernels read the tile where it lies (it is in the
 * core's cache, just written by the unfold) and keep a 6 x 16 block of the product in
 * registers. Same ISA policy as dh_kernels.h (include/dh_isa.h): clones chosen at load time.
 */
#ifndef DH_CONV_H
#define DH_CONV_H

#include <stddef.h>

typedef ptrdiff_t dh_int;

/* index of the calling thread in the OpenMP team (0 in a build without OpenMP) */
#ifdef _OPENMP
#include <omp.h>
static inline int dh_thread_num(void) { return omp_get_thread_num(); }
#else
static inline int dh_thread_num(void) { return 0; }
#endif

/* C[i, j] (= or +=) sum_r A[i, r] * B[r, j] for i < m, j < n, r < k; row-major operands with
 * leading dimensions lda, ldb, ldc; accumulate when acc != 0. panel is scratch for k * 16
 * floats (the last, narrower column block of B is copied there, zero-padded). */
void dh_sgemm_nn(dh_int m, dh_int n, dh_int k, const float *A, dh_int lda, const float *B,
                 dh_int ldb, int acc, float *C, dh_int ldc, float *panel);

#endif
