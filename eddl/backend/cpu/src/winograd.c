/* Row kernels of the Winograd F(2x2, 3x3) transforms (_winograd.pyx): a run of n consecutive
 * output blocks of one block row, all inside the input and the output, so the loops run
 * across the blocks without a bounds check and vectorise (stride-2 loads and stores). */
#include "dh_winograd.h"

/* v[xi * vs + i] = (B^T d B)[xi] for the 4x4 input block d of block i, whose row r is
 * rows[r][2i .. 2i + 3]; B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]] */
#define DH_WINO_IN(T, sfx)                                                              \
    DH_CLONES void dh_wino_in_##sfx(const T *r0, const T *r1, const T *r2, const T *r3, \
                                    dh_int n, T *v, dh_int vs) {                        \
        _Pragma("omp simd")                                                             \
        for (dh_int i = 0; i < n; i++) {                                                \
            const T *p[4] = {r0 + 2 * i, r1 + 2 * i, r2 + 2 * i, r3 + 2 * i};           \
            T a[4][4];                                                                  \
            for (int r = 0; r < 4; r++) {                                               \
                a[r][0] = p[r][0] - p[r][2];                                            \
                a[r][1] = p[r][1] + p[r][2];                                            \
                a[r][2] = p[r][2] - p[r][1];                                            \
                a[r][3] = p[r][1] - p[r][3];                                            \
            }                                                                           \
            for (int k = 0; k < 4; k++) {                                               \
                v[k * vs + i] = a[0][k] - a[2][k];                                      \
                v[(4 + k) * vs + i] = a[1][k] + a[2][k];                                \
                v[(8 + k) * vs + i] = a[2][k] - a[1][k];                                \
                v[(12 + k) * vs + i] = a[1][k] - a[3][k];                               \
            }                                                                           \
        }                                                                               \
    }

/* o0[2i .. 2i + 1], o1[2i .. 2i + 1] (=|+=) A^T m A for the 4x4 products m[xi * ms + i] of
 * block i; A^T = [[1, 1, 1, 0], [0, 1, -1, -1]] */
#define DH_WINO_OUT(T, sfx)                                                             \
    DH_CLONES void dh_wino_out_##sfx(const T *m, dh_int ms, dh_int n, T *o0, T *o1,     \
                                     int acc) {                                         \
        _Pragma("omp simd")                                                             \
        for (dh_int i = 0; i < n; i++) {                                                \
            T p[2][4];                                                                  \
            for (int k = 0; k < 4; k++) {                                               \
                const T m0 = m[k * ms + i], m1 = m[(4 + k) * ms + i];                   \
                const T m2 = m[(8 + k) * ms + i], m3 = m[(12 + k) * ms + i];            \
                p[0][k] = m0 + m1 + m2;                                                 \
                p[1][k] = m1 - m2 - m3;                                                 \
            }                                                                           \
            const T y00 = p[0][0] + p[0][1] + p[0][2], y01 = p[0][1] - p[0][2] - p[0][3]; \
            const T y10 = p[1][0] + p[1][1] + p[1][2], y11 = p[1][1] - p[1][2] - p[1][3]; \
            if (acc) {                                                                  \
                o0[2 * i] += y00; o0[2 * i + 1] += y01;                                 \
                o1[2 * i] += y10; o1[2 * i + 1] += y11;                                 \
            } else {                                                                    \
                o0[2 * i] = y00; o0[2 * i + 1] = y01;                                   \
                o1[2 * i] = y10; o1[2 * i + 1] = y11;                                   \
            }                                                                           \
        }                                                                               \
    }

DH_WINO_IN(float, f32)
DH_WINO_IN(double, f64)
DH_WINO_OUT(float, f32)
DH_WINO_OUT(double, f64)
