/* Contiguous 1-D kernels of the CPU backend; the Cython driver in _kernels.pyx splits arrays
 * into fixed-size chunks and hands them to these functions from OpenMP threads.
 *
 * The hot functions carry DH_CLONES, the run-time ISA choice of include/dh_isa.h: an AVX-512
 * machine gets 16-wide libmvec variants (_ZGVeN16v_expf), an AVX2 one the 8-wide ones
 * (_ZGVdN8v_expf) and an older one the SSE variants (_ZGVbN4v_expf).
 */
#ifndef DH_KERNELS_H
#define DH_KERNELS_H

#include <stddef.h>

#include "dh_isa.h"
#define DH_CLONES DH_ISA_CLONES

typedef ptrdiff_t dh_int;

/* y[i] = f(x[i]; p, q) for i < n; y may equal x. */
typedef void (*dh_unary_f32)(const float *x, float *y, dh_int n, float p, float q);
typedef void (*dh_unary_f64)(const double *x, double *y, dh_int n, double p, double q);
/* z[i] = a[i*as] op b[i*bs] with as, bs in {0, 1}; z may equal a or b. */
typedef void (*dh_binary_f32)(const float *a, dh_int as, const float *b, dh_int bs, float *z, dh_int n);
typedef void (*dh_binary_f64)(const double *a, dh_int as, const double *b, dh_int bs, double *z, dh_int n);

/* Op numbers index the tables below; keep in sync with _kernels.pyx. */
enum {
    DH_EXP, DH_LOG, DH_LOG2, DH_LOG10, DH_SIN, DH_COS, DH_TAN, DH_ASIN, DH_ACOS, DH_ATAN,
    DH_SINH, DH_COSH, DH_TANH, DH_SIGMOID, DH_POWS, DH_SQRT,   /* vmath.c (fast-math) */
    DH_RELU, DH_CLAMP, DH_ABS, DH_NEG, DH_SQR,                 /* ewise.c */
    DH_N_UNARY
};
enum { DH_ADD, DH_SUB, DH_MUL, DH_DIV, DH_POW, DH_N_BINARY };

#define DH_N_VM (DH_SQRT + 1)
#define DH_N_EW (DH_N_UNARY - DH_N_VM)
/* vmath.c: ops [0, DH_N_VM) and pow; ewise.c: ops [DH_N_VM, DH_N_UNARY) and add..div. */
extern const dh_unary_f32 dh_vm_unary_f32[DH_N_VM];
extern const dh_unary_f64 dh_vm_unary_f64[DH_N_VM];
extern const dh_unary_f32 dh_ew_unary_f32[DH_N_EW];
extern const dh_unary_f64 dh_ew_unary_f64[DH_N_EW];
extern const dh_binary_f32 dh_ew_binary_f32[DH_POW];
extern const dh_binary_f64 dh_ew_binary_f64[DH_POW];
void dh_pow_f32(const float *a, dh_int as, const float *b, dh_int bs, float *z, dh_int n);
void dh_pow_f64(const double *a, dh_int as, const double *b, dh_int bs, double *z, dh_int n);

/* Reductions of x[0:n]. Sums accumulate in double; max/min/arg* propagate NaN like NumPy
 * (the first NaN wins). */
double dh_sum_f32(const float *x, dh_int n);
double dh_sum_f64(const double *x, dh_int n);
float dh_max_f32(const float *x, dh_int n);
double dh_max_f64(const double *x, dh_int n);
float dh_min_f32(const float *x, dh_int n);
double dh_min_f64(const double *x, dh_int n);
dh_int dh_argmax_f32(const float *x, dh_int n);
dh_int dh_argmax_f64(const double *x, dh_int n);
dh_int dh_argmin_f32(const float *x, dh_int n);
dh_int dh_argmin_f64(const double *x, dh_int n);
/* acc[j] (op)= x[j] for j < n: one row of a reduction over a non-last axis. */
void dh_accsum_f32(double *acc, const float *x, dh_int n);
void dh_accsum_f64(double *acc, const double *x, dh_int n);
void dh_accmax_f32(float *acc, const float *x, dh_int n);
void dh_accmax_f64(double *acc, const double *x, dh_int n);
void dh_accmin_f32(float *acc, const float *x, dh_int n);
void dh_accmin_f64(double *acc, const double *x, dh_int n);

#endif
