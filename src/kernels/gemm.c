#include "kernels/gemm.h"

#include "nntune/train.h"

#if defined(NNT_BLAS_BLIS)
#include <blis.h>
#else
#include <cblas.h>
#endif

void nnt_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha,
               const float *a, int lda, const float *b, int ldb, float beta,
               float *c, int ldc)
{
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb,
                beta, c, ldc);
}

int nnt_blas_set_threads(int n)
{
#if defined(NNT_BLAS_BLIS)
    int prev = (int)bli_thread_get_num_threads();
    bli_thread_set_num_threads(n);
    return prev;
#else
    int prev = openblas_get_num_threads();
    openblas_set_num_threads(n);
    return prev;
#endif
}

const char *nnt_blas_info(void)
{
#if defined(NNT_BLAS_BLIS)
    return bli_arch_string(bli_arch_query_id());
#else
    return openblas_get_corename();
#endif
}
