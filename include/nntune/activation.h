/* nntune: the activation functions, by value and by name. A header of its
 * own, below model.h, so that the kernels (src/kernels/) can name an
 * activation without the model and training API. */
#ifndef NNTUNE_ACTIVATION_H
#define NNTUNE_ACTIVATION_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The one table of activations: enum suffix and name, in enum order. The
 * enum, the name table and the list in "unknown activation" messages are
 * all made from it. */
#define NNT_ACTIVATION_MAP(X)                                                 \
    X(RELU, "relu")                                                          \
    X(LEAKY_RELU, "leaky_relu") /* f(x) = x > 0 ? x : slope*x */             \
    X(ELU, "elu")               /* f(x) = x > 0 ? x : alpha*(exp(x)-1) */    \
    X(TANH, "tanh")                                                          \
    X(SIGMOID, "sigmoid")                                                    \
    X(IDENTITY, "identity")                                                  \
    X(SOFTMAX, "softmax") /* output layer only */

typedef enum nnt_activation {
#define NNT_ACT_ENUM_(id, name) NNT_ACT_##id,
    NNT_ACTIVATION_MAP(NNT_ACT_ENUM_)
#undef NNT_ACT_ENUM_
} nnt_activation;

/* How many activations there are (softmax, the last, included). */
#define NNT_ACT_COUNT_(id, name) +1
enum { NNT_ACTIVATION_COUNT = 0 NNT_ACTIVATION_MAP(NNT_ACT_COUNT_) };
#undef NNT_ACT_COUNT_

/* Parses/prints names: "relu", "leaky_relu", "elu", "tanh", "sigmoid",
 * "identity", "softmax". Parse returns -1 for an unknown name. */
NNT_API int nnt_activation_from_name(const char *name);
NNT_API const char *nnt_activation_name(nnt_activation a);

#ifdef __cplusplus
}
#endif

#endif
