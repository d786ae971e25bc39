// vae/losses.hpp - the loss terms and their gradients.
//
// Every loss is a SUM over the pixels (or latent units) and the images of a batch, as the PyTorch
// reference VAE computes it (reduction='sum'); callers divide by the image count to report a
// per-image figure. Sums are accumulated in double so that the reported figures do not depend on
// the batch size. The gradient functions ASSIGN the gradient with respect to the logits, which is
// where the decoder's backward pass starts; the KL gradient is ADDED, since mu and logvar also
// receive the reparameterization's gradient (see vae/layers.hpp).
#pragma once

#include <cstddef>

namespace vae {

enum class Recon { mse, bce };

// What the model minimizes: recon + beta * KL. beta = 0 with MSE is the plain autoencoder. The
// default is vae_train's (--loss mse, --mode vae): MSE + 1 KL, the write-up's VAE.
struct LossSpec {
  Recon recon = Recon::mse;
  float beta = 1.0f;
};

// Sums over a batch (or many batches); `images` counts the images summed.
struct LossSums {
  double recon = 0.0;
  double kl = 0.0;
  double total = 0.0;   // recon + beta * kl
  std::size_t images = 0;

  void add(const LossSums& o) { recon += o.recon; kl += o.kl; total += o.total; images += o.images; }
  double recon_per_image() const { return images ? recon / static_cast<double>(images) : 0.0; }
  double kl_per_image() const { return images ? kl / static_cast<double>(images) : 0.0; }
  double total_per_image() const { return images ? total / static_cast<double>(images) : 0.0; }
};

// MSE on the decoder's sigmoid output: sum (xhat - x)^2 over n values.
// d_logits (if not null) = 2 (xhat - x) * xhat (1 - xhat), the sigmoid's derivative folded in.
double mse_loss(float* d_logits, const float* xhat, const float* x, std::size_t n);

// Binary cross-entropy from the logits a, stable for any a:
//   -[x log s(a) + (1-x) log(1 - s(a))] = max(a, 0) - a x + log(1 + e^-|a|)
// which never takes the log of 0 nor overflows e^a. d_logits (if not null) = s(a) - x = xhat - x.
double bce_loss(float* d_logits, const float* logits, const float* xhat, const float* x,
                std::size_t n);

// The decoder's sigmoid and the reconstruction loss fused into one pass over n values, for
// training: xhat = sigmoid(logits), d_logits as mse_loss / bce_loss above, returns the summed
// loss. The same arithmetic as sigmoid_forward followed by mse_loss or bce_loss, bit for bit.
double sigmoid_recon_loss(Recon recon, float* xhat, float* d_logits, const float* logits,
                          const float* x, std::size_t n);

// KL( N(mu, diag(e^logvar)) || N(0, I) ), summed over n values. For one dimension,
//   KL = 1/2 (sigma^2 + mu^2 - 1 - log sigma^2) = -1/2 (1 + logvar - mu^2 - e^logvar)
// (Kingma & Welling 2014, appendix B). Its gradient, scaled by beta, is ADDED:
//   d_mu += beta mu,   d_logvar += beta (e^logvar - 1) / 2        (skipped if d_mu is null)
double kl_loss(float* d_mu, float* d_logvar, const float* mu, const float* logvar, std::size_t n,
               float beta);

}  // namespace vae
