/* Row kernels of the Winograd F(2x2, 3x3) transforms; see winograd.c. Same ISA policy as
 * dh_kernels.h (include/dh_isa.h): clones chosen at load time. */
#ifndef DH_WINOGRAD_H
#define DH_WINOGRAD_H

#include <stddef.h>

#include "dh_isa.h"
#define DH_CLONES DH_ISA_CLONES

typedef ptrdiff_t dh_int;

void dh_wino_in_f32(const float *r0, const float *r1, const float *r2, const float *r3,
                    dh_int n, float *v, dh_int vs);
void dh_wino_in_f64(const double *r0, const double *r1, const double *r2, const double *r3,
                    dh_int n, double *v, dh_int vs);
void dh_wino_out_f32(const float *m, dh_int ms, dh_int n, float *o0, float *o1, int acc);
void dh_wino_out_f64(const double *m, dh_int ms, dh_int n, double *o0, double *o1, int acc);

#endif
