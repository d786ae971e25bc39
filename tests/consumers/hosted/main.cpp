// my_trainer - a user's tool built against the installed training library (find_package(vae
// COMPONENTS train)): a 784-400-20 VAE trained for a few steps on the first images of an MNIST
// IDX file (the loss must fall from the first epoch to the second), saved as a .vaew that the
// installed vae_gen reads.
//
//   my_trainer train-images-idx3-ubyte out.vaew
#include <cstdio>
#include <exception>

#include "vae/error.hpp"
#include "vae/idx.hpp"
#include "vae/trainer.hpp"
#include "vae/vae.hpp"
#include "vae/weights.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: my_trainer TRAIN_IMAGES_IDX OUT.vaew\n");
    return 2;
  }
  try {
    // The first 4 batches of 128: (512, 28, 28).
    const vae::ImageSet train = vae::head(vae::read_idx_images(argv[1]), 512);

    vae::Vae<784, 400, 20> model(128);
    vae::Trainer<vae::Vae<784, 400, 20>> trainer(model, train, vae::TrainOptions{},
                                                 vae::ParamInit::from_seed);
    const vae::LossSums first = trainer.train_epoch();
    const vae::LossSums second = trainer.train_epoch();
    std::printf("my_trainer: %zu images, loss per image %.3f then %.3f\n", vae::image_count(train),
                first.total_per_image(), second.total_per_image());
    if (!(second.total_per_image() < first.total_per_image())) {
      std::fprintf(stderr, "my_trainer: the loss did not fall\n");
      return 1;
    }
    vae::save_weights(model, argv[2]);
    std::printf("my_trainer: wrote %s\n", argv[2]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "my_trainer: %s\n", e.what());
    return 1;
  }
  return 0;
}
