// Encode, decode and sample with the xtensor API (vae/inference.hpp), on the shipped VAE.
//   encoding_from_cpp weights/mnist_vae.vaew data/mnist
#include <cstdio>

#include <xtensor/xmath.hpp>
#include <xtensor/xstrided_view.hpp>

#include "vae/idx.hpp"
#include "vae/inference.hpp"
#include "vae/vae.hpp"
#include "vae/weights.hpp"

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  vae::Vae784_400_20 model(256);   // the passes run on chunks of up to 256 rows
  vae::load_weights(model, argv[1]);
  const vae::Dataset test = vae::load_mnist(argv[2], vae::Split::test);   // images (10000, 28, 28)

  const vae::Encoding code = vae::encode(model, test.images);       // mu, logvar: (10000, 20)
  const xt::xtensor<float, 2> xhat = vae::decode(model, code.mu);   // (10000, 784) in [0, 1]
  const auto x = xt::cast<float>(xt::reshape_view(test.images, {test.size(), std::size_t{784}})) / 255.0f;
  const double error = xt::mean(xt::abs(xhat - x))();              // mean |x - xhat| per pixel
  const xt::xtensor<float, 2> digits = vae::sample(model, 16, 7);   // (16, 784), z ~ N(0, I)
  std::printf("%zu test images: mean |x - xhat| %.4f; %zu samples, mean ink %.3f\n", test.size(),
              error, digits.shape(0), static_cast<double>(xt::mean(digits)()));
  return error < 0.1 ? 0 : 1;
}
