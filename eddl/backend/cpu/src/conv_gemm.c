/* Register-blocked small GEMMs for the convolution tiles; see dh_conv.h. */
#include <string.h>

#include "dh_conv.h"

#include "dh_isa.h"
#define DH_CLONES DH_ISA_CLONES
#define DH_INLINE static inline __attribute__((always_inline))

/* eight floats; loads and stores go through memcpy, so no alignment is assumed */
typedef float v8 __attribute__((vector_size(32)));

DH_INLINE v8 ld8(const float *p) { v8 v; memcpy(&v, p, sizeof v); return v; }
DH_INLINE void st8(float *p, v8 v) { memcpy(p, &v, sizeof v); }

#define MR 6
#define NR 16

/* C[0:mr, 0:16] (= or +=) A[0:mr, 0:k] B[0:k, 0:16]; mr is a constant after inlining. */
DH_INLINE void block_nn(int mr, dh_int k, const float *A, dh_int lda, const float *B, dh_int ldb,
                        int acc, float *C, dh_int ldc)
{
    v8 c0[MR], c1[MR];
    for (int i = 0; i < mr; i++) {
        c0[i] = (v8){0};
        c1[i] = (v8){0};
    }
    for (dh_int r = 0; r < k; r++) {
        v8 b0 = ld8(B + r * ldb), b1 = ld8(B + r * ldb + 8);
        for (int i = 0; i < mr; i++) {
            float a = A[i * lda + r];
            c0[i] += a * b0;
            c1[i] += a * b1;
        }
    }
    for (int i = 0; i < mr; i++) {
        float *c = C + i * ldc;
        if (acc) {
            c0[i] += ld8(c);
            c1[i] += ld8(c + 8);
        }
        st8(c, c0[i]);
        st8(c + 8, c1[i]);
    }
}

DH_INLINE void rows_nn(dh_int m, dh_int k, const float *A, dh_int lda, const float *B,
                       dh_int ldb, int acc, float *C, dh_int ldc)
{
    dh_int i = 0;
    for (; i + MR <= m; i += MR)
        block_nn(MR, k, A + i * lda, lda, B, ldb, acc, C + i * ldc, ldc);
    switch (m - i) {
    case 5: block_nn(5, k, A + i * lda, lda, B, ldb, acc, C + i * ldc, ldc); break;
    case 4: block_nn(4, k, A + i * lda, lda, B, ldb, acc, C + i * ldc, ldc); break;
    case 3: block_nn(3, k, A + i * lda, lda, B, ldb, acc, C + i * ldc, ldc); break;
    case 2: block_nn(2, k, A + i * lda, lda, B, ldb, acc, C + i * ldc, ldc); break;
    case 1: block_nn(1, k, A + i * lda, lda, B, ldb, acc, C + i * ldc, ldc); break;
    default: break;
    }
}

DH_CLONES
void dh_sgemm_nn(dh_int m, dh_int n, dh_int k, const float *A, dh_int lda, const float *B,
                 dh_int ldb, int acc, float *C, dh_int ldc, float *panel)
{
    dh_int j = 0;
    for (; j + NR <= n; j += NR)
        rows_nn(m, k, A, lda, B + j, ldb, acc, C + j, ldc);
    if (j == n)
        return;
    /* last block: a zero-padded copy of the columns left, the product into a scratch row
     * block, then its valid columns out */
    dh_int nb = n - j;
    for (dh_int r = 0; r < k; r++) {
        memcpy(panel + r * NR, B + r * ldb + j, (size_t)nb * sizeof(float));
        memset(panel + r * NR + nb, 0, (size_t)(NR - nb) * sizeof(float));
    }
    float out[MR * NR];
    for (dh_int i = 0; i < m; i += MR) {
        dh_int mr = m - i < MR ? m - i : MR;
        rows_nn(mr, k, A + i * lda, lda, panel, NR, 0, out, NR);
        for (dh_int t = 0; t < mr; t++) {
            float *c = C + (i + t) * ldc + j;
            if (acc)
                for (dh_int e = 0; e < nb; e++)
                    c[e] += out[t * NR + e];
            else
                memcpy(c, out + t * NR, (size_t)nb * sizeof(float));
        }
    }
}
