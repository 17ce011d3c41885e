/* nntune: the BLAS behind the dense layers -- its name and its thread
 * count. A header of its own, below train.h, so that the GEMM kernel
 * (src/kernels/gemm.c) does not depend on the training API. */
#ifndef NNTUNE_BLAS_H
#define NNTUNE_BLAS_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Sets the number of BLAS threads for the process (the BLAS setting is
 * process-wide). Returns the previous value where the BLAS tells it. The
 * library itself sets it only for the length of a call that asks for a
 * thread count (nnt_train with threads > 0, a study run) and puts the
 * previous value back before it returns. */
NNT_API int nnt_blas_set_threads(int n);
/* Name of the BLAS and kernel in use, e.g. "OpenBLAS Zen". */
NNT_API const char *nnt_blas_info(void);

#ifdef __cplusplus
}
#endif

#endif
