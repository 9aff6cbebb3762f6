/* Fused cells of the recurrent layers (rnn_cell.c), driven step by step by _rnn.pyx. */
#ifndef DH_RNN_H
#define DH_RNN_H

#include "dh_kernels.h"

/* activations of the Elman RNN cell; keep in sync with _rnn.pyx */
enum { DH_RNN_NONE, DH_RNN_TANH, DH_RNN_SIGMOID, DH_RNN_RELU, DH_RNN_HARD_SIGMOID };

#define DH_RNN_DECL(T, sfx)                                                                   \
    void dh_lstm_fwd_##sfx(T *g, const T *c0, T *c1, T *tc, const T *h0, T *h1,              \
                           const unsigned char *keep, dh_int B, dh_int H);                   \
    void dh_lstm_bwd_##sfx(const T *g, const T *c0, const T *tc, T *dh, const T *dy, T *dc,  \
                           T *dg, T *dh_prev, const unsigned char *keep, dh_int B, dh_int H);\
    void dh_gru_lbr_fwd_##sfx(T *g, T *e, const T *rbh, const T *h0, T *h1,                  \
                              const unsigned char *keep, dh_int B, dh_int H);                \
    void dh_gru_lbr_bwd_##sfx(const T *g, const T *e, const T *h0, T *dh, const T *dy, T *dg,\
                              T *de, T *dh_prev, const unsigned char *keep, dh_int B,        \
                              dh_int H);                                                     \
    void dh_gru_zr_fwd_##sfx(T *g, T *e, const T *h0, const unsigned char *keep, dh_int B,   \
                             dh_int H);                                                      \
    void dh_gru_n_fwd_##sfx(T *g, const T *h0, T *h1, const unsigned char *keep, dh_int B,   \
                            dh_int H);                                                       \
    void dh_gru_n_bwd_##sfx(const T *g, const T *h0, T *dh, const T *dy, T *dg,              \
                            const unsigned char *keep, dh_int B, dh_int H);                  \
    void dh_gru_zr_bwd_##sfx(const T *g, const T *h0, const T *dh, const T *drh, T *dg,      \
                             T *dh_prev, const unsigned char *keep, dh_int B, dh_int H);     \
    void dh_rnn_fwd_##sfx(T *g, const T *h0, T *h1, int act, const unsigned char *keep,      \
                          dh_int B, dh_int H);                                               \
    void dh_rnn_bwd_##sfx(const T *g, T *dh, const T *dy, T *dg, T *dh_prev, int act,        \
                          const unsigned char *keep, dh_int B, dh_int H);

DH_RNN_DECL(float, f32)
DH_RNN_DECL(double, f64)

#endif
