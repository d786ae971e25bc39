// image.cpp - PNG and PGM files, tile grids, upscaling, the RGB canvas (see vae/image/image.hpp).
//
// The one translation unit that compiles stb_image_write. It is compiled static
// (STB_IMAGE_WRITE_STATIC) so that its symbols cannot clash with another copy of stb linked
// into the same program, and without stdio (STBI_WRITE_NO_STDIO): every byte reaches the disk
// through vae::write_file_atomic.
#include "vae/image/image.hpp"

#include <algorithm>
#include <string>

#include "vae/error.hpp"
#include "vae/files/atomic_file.hpp"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#define STBI_WRITE_NO_STDIO
#include <stb_image_write.h>

namespace vae {
namespace {

void check_size(const char* fn, const std::string& what, int width, int height,
                const void* pixels) {
  if (width <= 0 || height <= 0) {
    throw Error(std::string(fn) + ": " + what + ": width " + std::to_string(width) +
                " and height " + std::to_string(height) + " must be positive");
  }
  if (static_cast<long long>(width) * height > max_image_pixels) {
    throw Error(std::string(fn) + ": " + what + ": " + std::to_string(width) + "x" +
                std::to_string(height) + " is larger than the 2^28 pixels allowed");
  }
  if (!pixels) throw Error(std::string(fn) + ": " + what + ": pixels is null");
}

void append_bytes(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<std::uint8_t>*>(context);
  const auto* p = static_cast<const std::uint8_t*>(data);
  out->insert(out->end(), p, p + size);
}

}  // namespace

std::vector<std::uint8_t> encode_png(int width, int height, int comp, const std::uint8_t* pixels) {
  check_size("encode_png", "image", width, height, pixels);
  if (comp != 1 && comp != 3) {
    throw Error("encode_png: " + std::to_string(comp) + " channels, expected 1 (gray) or 3 (RGB)");
  }
  std::vector<std::uint8_t> png;
  if (!stbi_write_png_to_func(append_bytes, &png, width, height, comp, pixels, width * comp)) {
    throw Error("encode_png: stb_image_write failed on a " + std::to_string(width) + "x" +
                std::to_string(height) + " image");
  }
  return png;
}

void write_png_gray(const std::string& path, int width, int height, const std::uint8_t* pixels) {
  check_size("write_png_gray", path, width, height, pixels);
  write_file_atomic(path, encode_png(width, height, 1, pixels));
}

void write_png_rgb(const std::string& path, int width, int height, const std::uint8_t* pixels) {
  check_size("write_png_rgb", path, width, height, pixels);
  write_file_atomic(path, encode_png(width, height, 3, pixels));
}

void write_png_rgb(const std::string& path, const RgbImage& image) {
  write_png_rgb(path, image.width, image.height, image.pixels.data());
}

void write_pgm(const std::string& path, int width, int height, const std::uint8_t* pixels) {
  check_size("write_pgm", path, width, height, pixels);
  const std::string header =
      "P5\n" + std::to_string(width) + " " + std::to_string(height) + "\n255\n";
  std::vector<std::uint8_t> bytes(header.begin(), header.end());
  bytes.insert(bytes.end(), pixels, pixels + static_cast<std::size_t>(width) * height);
  write_file_atomic(path, bytes);
}

int tile_grid_width(int cols, int grid_cols, int pad) {
  return grid_cols * cols + (grid_cols + 1) * pad;
}

int tile_grid_height(int rows, int count, int grid_cols, int pad) {
  const int grid_rows = grid_cols > 0 ? (count + grid_cols - 1) / grid_cols : 0;
  return grid_rows * rows + (grid_rows + 1) * pad;
}

std::vector<std::uint8_t> tile_grid(const std::uint8_t* images, int count, int rows, int cols,
                                    int grid_cols, int pad, std::uint8_t pad_value) {
  if (count < 1 || rows < 1 || cols < 1 || grid_cols < 1 || pad < 0) {
    throw Error("tile_grid: count " + std::to_string(count) + ", rows " + std::to_string(rows) +
                ", cols " + std::to_string(cols) + ", grid_cols " + std::to_string(grid_cols) +
                ", pad " + std::to_string(pad) + ": expected all >= 1 and pad >= 0");
  }
  if (!images) throw Error("tile_grid: images is null");
  const int width = tile_grid_width(cols, grid_cols, pad);
  const int height = tile_grid_height(rows, count, grid_cols, pad);
  check_size("tile_grid", "grid", width, height, images);
  std::vector<std::uint8_t> grid(static_cast<std::size_t>(width) * height, pad_value);
  for (int i = 0; i < count; ++i) {
    const int x0 = pad + (i % grid_cols) * (cols + pad);
    const int y0 = pad + (i / grid_cols) * (rows + pad);
    const std::uint8_t* src = images + static_cast<std::size_t>(i) * rows * cols;
    for (int r = 0; r < rows; ++r) {
      std::copy(src + static_cast<std::size_t>(r) * cols, src + static_cast<std::size_t>(r + 1) * cols,
                grid.begin() + static_cast<std::ptrdiff_t>(y0 + r) * width + x0);
    }
  }
  return grid;
}

std::vector<std::uint8_t> upscale(const std::uint8_t* pixels, int width, int height, int channels,
                                  int factor) {
  check_size("upscale", "image", width, height, pixels);
  if (channels < 1 || factor < 1) {
    throw Error("upscale: channels " + std::to_string(channels) + " and factor " +
                std::to_string(factor) + " must be >= 1");
  }
  check_size("upscale", "result", width * factor, height * factor, pixels);
  const std::size_t out_w = static_cast<std::size_t>(width) * factor;
  std::vector<std::uint8_t> out(out_w * static_cast<std::size_t>(height) * factor * channels);
  for (std::size_t y = 0; y < static_cast<std::size_t>(height) * factor; ++y) {
    const std::uint8_t* src_row = pixels + (y / factor) * width * channels;
    std::uint8_t* dst = out.data() + y * out_w * channels;
    for (std::size_t x = 0; x < out_w; ++x) {
      for (int c = 0; c < channels; ++c) dst[x * channels + c] = src_row[(x / factor) * channels + c];
    }
  }
  return out;
}

RgbImage::RgbImage(int w, int h, Rgb fill) : width(w), height(h) {
  if (w <= 0 || h <= 0) {
    throw Error("RgbImage: width " + std::to_string(w) + " and height " + std::to_string(h) +
                " must be positive");
  }
  pixels.resize(static_cast<std::size_t>(w) * h * 3);
  for (std::size_t i = 0; i < pixels.size(); i += 3) {
    pixels[i] = fill.r;
    pixels[i + 1] = fill.g;
    pixels[i + 2] = fill.b;
  }
}

void RgbImage::set(int x, int y, Rgb c) {
  if (x < 0 || y < 0 || x >= width || y >= height) return;
  std::uint8_t* p = pixels.data() + (static_cast<std::size_t>(y) * width + x) * 3;
  p[0] = c.r;
  p[1] = c.g;
  p[2] = c.b;
}

Rgb RgbImage::get(int x, int y) const {
  if (x < 0 || y < 0 || x >= width || y >= height) return {};
  const std::uint8_t* p = pixels.data() + (static_cast<std::size_t>(y) * width + x) * 3;
  return {p[0], p[1], p[2]};
}

void RgbImage::fill_rect(int x, int y, int w, int h, Rgb c) {
  const int x0 = std::max(x, 0), y0 = std::max(y, 0);
  const int x1 = std::min(x + w, width), y1 = std::min(y + h, height);
  for (int yy = y0; yy < y1; ++yy) {
    for (int xx = x0; xx < x1; ++xx) set(xx, yy, c);
  }
}

}  // namespace vae
