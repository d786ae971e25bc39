// Train a VAE from C++ with the library, as vae_train does without the CLI around it.
//   training_from_cpp data/mnist vae.vaew
#include <cstdio>

#include "vae/idx.hpp"
#include "vae/trainer.hpp"
#include "vae/vae.hpp"
#include "vae/weights.hpp"

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const vae::Dataset train = vae::load_mnist(argv[1], vae::Split::train);
  const vae::Dataset test = vae::load_mnist(argv[1], vae::Split::test);

  vae::Vae784_400_20 model(128);   // one arena: parameters, Adam state, activations
  vae::TrainOptions opt;           // MSE + 1 KL, Adam lr 1e-3, batch 128, seed 1
  vae::Trainer<vae::Vae784_400_20> trainer(model, train.images, opt, vae::ParamInit::from_seed);
  for (int epoch = 1; epoch <= 2; ++epoch) {
    const vae::LossSums tr = trainer.train_epoch();
    const vae::LossSums te = trainer.evaluate(test.images, true);   // z sampled
    std::printf("epoch %d: train %.2f, test %.2f per image\n", epoch, tr.total_per_image(),
                te.total_per_image());
  }
  vae::save_weights(model, argv[2]);   // a .vaew that vae_gen and the firmware read
}
