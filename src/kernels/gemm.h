/* Row-major single-precision GEMM through the BLAS chosen at build time:
 * C = alpha * op(A) * op(B) + beta * C, op(A) is M x K, op(B) is K x N. */
#ifndef NNT_KERNELS_GEMM_H
#define NNT_KERNELS_GEMM_H

void nnt_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha,
               const float *a, int lda, const float *b, int ldb, float beta,
               float *c, int ldc);

#endif
