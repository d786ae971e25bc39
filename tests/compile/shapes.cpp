// tests/compile/shapes.cpp - products on shaped handles (vae/tensor.hpp), compiled by check.cmake
// once per case: RIGHT must compile (the positive control: the same code with agreeing shapes),
// every other case must FAIL to compile, with the message check.cmake expects.
#include "vae/layers.hpp"
#include "vae/tensor.hpp"

void products(float* p) {
  // (B, In) = (B, 3) -> (B, Out) = (B, 4): W (4, 3).
  const vae::Rows<3> x(p, 2);
  const vae::Rows<4> y(p, 2);
  const vae::Mat<4, 3> w(p);
#if defined(RIGHT)
  vae::matmul_xwt(y, x, w, 2, 0.0f);    // y (B, 4) = x (B, 3) W^T
  vae::matmul_dytx(w, y, x, 2, 0.0f);   // dW (4, 3) = dy^T (4, B) x (B, 3)
  vae::matmul_dyw(x, y, w, 2, 1.0f);    // dx (B, 3) += dy (B, 4) W (4, 3)
  vae::Dense<3, 4> layer;
  layer.forward(y, x, 2);
  layer.backward(x, y, x, 2, vae::Dense<3, 4>::Grad::accumulate);
#elif defined(WRONG_INNER)
  const vae::Rows<5> x5(p, 2);
  vae::matmul_xwt(y, x5, w, 2, 0.0f);   // x (B, 5) W^T with W (4, 3): inner 5 != 3
#elif defined(WRONG_OUTER)
  const vae::Mat<5, 3> w5(p);
  vae::matmul_dytx(w5, y, x, 2, 0.0f);  // dW (5, 3) from dy (B, 4): outer 5 != 4
#elif defined(WRONG_DY)
  const vae::Rows<3> dy3(p, 2);
  vae::matmul_dyw(x, dy3, w, 2, 0.0f);  // dy (B, 3) W (4, 3): 3 != 4
#elif defined(WRONG_LAYER)
  vae::Dense<3, 4> layer;
  layer.forward(x, y, 2);               // output and input swapped: (B, 3) <- (B, 4)
#else
#error "define one case"
#endif
}
