// test_image.cpp - vae::image against independent references: PNGs decoded by stb_image (a
// separate decoder from the encoder under test), the netpbm PGM header spelled out byte by byte,
// grid geometry computed by hand, the font checked pixel by pixel through draw_text, and scatter
// plots by counting each colour's pixels against the discs' and swatches' areas.
#include "vae/image/image.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "vae/error.hpp"
#include "vae/files/atomic_file.hpp"

#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_PNG
#include <stb_image.h>

namespace test_image {

namespace {

std::string temp_dir() {
  char tmpl[] = "/tmp/vae_image_XXXXXX";
  const char* d = ::mkdtemp(tmpl);
  if (!d) throw std::runtime_error("mkdtemp failed");
  return d;
}

struct Decoded {
  int width = 0, height = 0, channels = 0;
  std::vector<std::uint8_t> pixels;
};

Decoded decode_png(const std::vector<std::uint8_t>& png) {
  Decoded d;
  stbi_uc* p = stbi_load_from_memory(png.data(), static_cast<int>(png.size()), &d.width,
                                     &d.height, &d.channels, 0);
  if (!p) throw std::runtime_error(std::string("stb_image: ") + stbi_failure_reason());
  d.pixels.assign(p, p + static_cast<std::size_t>(d.width) * d.height * d.channels);
  stbi_image_free(p);
  return d;
}

std::vector<std::uint8_t> pattern(std::size_t n, unsigned mul) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>((i * mul + i / 7) & 0xFF);
  return v;
}

TEST(Image, GrayPngRoundTripsThroughAnIndependentDecoder) {
  const std::string dir = temp_dir();
  const int w = 37, h = 23;   // odd sizes: no accidental row alignment
  const auto pixels = pattern(static_cast<std::size_t>(w) * h, 13);
  vae::write_png_gray(dir + "/g.png", w, h, pixels.data());
  const Decoded d = decode_png(vae::read_file(dir + "/g.png"));
  EXPECT_EQ(d.width, w);
  EXPECT_EQ(d.height, h);
  EXPECT_EQ(d.channels, 1);
  EXPECT_EQ(d.pixels, pixels);
  std::system(("rm -rf " + dir).c_str());
}

TEST(Image, RgbPngRoundTripsThroughAnIndependentDecoder) {
  const std::string dir = temp_dir();
  const int w = 19, h = 31;
  const auto pixels = pattern(static_cast<std::size_t>(w) * h * 3, 29);
  vae::write_png_rgb(dir + "/c.png", w, h, pixels.data());
  const Decoded d = decode_png(vae::read_file(dir + "/c.png"));
  EXPECT_EQ(d.width, w);
  EXPECT_EQ(d.height, h);
  EXPECT_EQ(d.channels, 3);
  EXPECT_EQ(d.pixels, pixels);
  // The file starts with the PNG signature (RFC 2083): 89 'P' 'N' 'G' CR LF 1A LF.
  const auto bytes = vae::read_file(dir + "/c.png");
  const std::vector<std::uint8_t> sig{0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  EXPECT_EQ(std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + 8), sig);
  std::system(("rm -rf " + dir).c_str());
}

TEST(Image, PgmHasTheNetpbmHeaderThenTheBytes) {
  const std::string dir = temp_dir();
  const std::uint8_t px[6] = {0, 1, 2, 253, 254, 255};
  vae::write_pgm(dir + "/p.pgm", 3, 2, px);
  const auto bytes = vae::read_file(dir + "/p.pgm");
  const std::string expected_header = "P5\n3 2\n255\n";
  ASSERT_EQ(bytes.size(), expected_header.size() + 6);
  EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 11), expected_header);
  EXPECT_EQ(std::vector<std::uint8_t>(bytes.begin() + 11, bytes.end()),
            std::vector<std::uint8_t>(px, px + 6));
  std::system(("rm -rf " + dir).c_str());
}

TEST(Image, WriteErrorsNameTheFileAndLeaveNoFile) {
  const std::uint8_t px[4] = {1, 2, 3, 4};
  try {
    vae::write_png_gray("/nonexistent_dir_vae/a.png", 2, 2, px);
    FAIL() << "no error";
  } catch (const vae::Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("/nonexistent_dir_vae/a.png"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
  try {
    vae::write_pgm("x.pgm", 0, 2, px);
    FAIL() << "no error";
  } catch (const vae::Error& e) {
    EXPECT_NE(std::string(e.what()).find("x.pgm"), std::string::npos) << e.what();
  }
  EXPECT_THROW(vae::encode_png(2, 2, 2, px), vae::Error);   // 2 channels: not supported
}

TEST(Image, TileGridGeometryAndPlacement) {
  // 5 images of 2 x 3, 2 per grid row, pad 1: 3 grid rows.
  const int count = 5, rows = 2, cols = 3, grid_cols = 2, pad = 1;
  std::vector<std::uint8_t> images(count * rows * cols);
  for (int i = 0; i < count; ++i) {
    for (int k = 0; k < rows * cols; ++k) images[i * rows * cols + k] = static_cast<std::uint8_t>(10 * (i + 1) + k);
  }
  const int width = vae::tile_grid_width(cols, grid_cols, pad);
  const int height = vae::tile_grid_height(rows, count, grid_cols, pad);
  EXPECT_EQ(width, 2 * 3 + 3 * 1);    // 9
  EXPECT_EQ(height, 3 * 2 + 4 * 1);   // 10
  const auto grid = vae::tile_grid(images.data(), count, rows, cols, grid_cols, pad, 7);
  ASSERT_EQ(grid.size(), static_cast<std::size_t>(width * height));
  auto at = [&](int x, int y) { return grid[y * width + x]; };
  // Image i's pixel (r, c) sits at x = 1 + (i % 2) * 4 + c, y = 1 + (i / 2) * 3 + r.
  for (int i = 0; i < count; ++i) {
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < cols; ++c) {
        EXPECT_EQ(at(1 + (i % 2) * 4 + c, 1 + (i / 2) * 3 + r), 10 * (i + 1) + r * cols + c)
            << "image " << i << " r " << r << " c " << c;
      }
    }
  }
  // Padding and the empty sixth cell are the pad value.
  int pad_pixels = 0;
  for (std::uint8_t v : grid) pad_pixels += v == 7;
  EXPECT_EQ(pad_pixels, width * height - count * rows * cols);
  EXPECT_EQ(at(0, 0), 7);
  EXPECT_EQ(at(5, 7), 7);   // inside the empty cell (x 5..7, y 7..8)

  EXPECT_THROW(vae::tile_grid(images.data(), 0, rows, cols, grid_cols, pad), vae::Error);
  EXPECT_THROW(vae::tile_grid(images.data(), count, rows, cols, 0, pad), vae::Error);
  EXPECT_THROW(vae::tile_grid(images.data(), count, rows, cols, grid_cols, -1), vae::Error);
}

TEST(Image, UpscaleRepeatsEachPixel) {
  const std::uint8_t rgb[2 * 1 * 3] = {1, 2, 3, 4, 5, 6};   // 2 wide, 1 high
  const auto up = vae::upscale(rgb, 2, 1, 3, 2);
  const std::vector<std::uint8_t> expected{1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6,
                                           1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6};
  EXPECT_EQ(up, expected);
}

TEST(Font, EveryPrintableGlyphButSpaceHasPixels) {
  for (int c = 33; c <= 126; ++c) {
    int set = 0;
    for (int r = 0; r < vae::font_glyph_height; ++r) {
      for (int k = 0; k < vae::font_glyph_width; ++k) set += vae::font_pixel(static_cast<char>(c), k, r);
    }
    EXPECT_GT(set, 0) << "glyph '" << static_cast<char>(c) << "'";
  }
  for (int r = 0; r < 7; ++r) {
    for (int k = 0; k < 5; ++k) EXPECT_FALSE(vae::font_pixel(' ', k, r));
  }
  // Distinct digits and letters (a copy-paste slip in the table would make two equal).
  auto bits = [](char c) {
    std::string b;
    for (int r = 0; r < 7; ++r) {
      for (int k = 0; k < 5; ++k) b += vae::font_pixel(c, k, r) ? '#' : '.';
    }
    return b;
  };
  const std::string chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  for (std::size_t i = 0; i < chars.size(); ++i) {
    for (std::size_t j = i + 1; j < chars.size(); ++j) {
      EXPECT_NE(bits(chars[i]), bits(chars[j])) << chars[i] << " and " << chars[j];
    }
  }
  // One spot check against the drawing in the table: 'T' is a bar over a stem.
  EXPECT_EQ(bits('T'), "#####" "..#.." "..#.." "..#.." "..#.." "..#.." "..#..");
}

TEST(Font, DrawTextPlacesScaledGlyphs) {
  const vae::Rgb ink{200, 10, 20};
  vae::RgbImage img(40, 20, vae::Rgb{255, 255, 255});
  vae::draw_text(img, 3, 2, "L7", ink, 2);
  EXPECT_EQ(vae::text_width("L7", 2), 2 * 6 * 2 - 2);
  for (int y = 0; y < img.height; ++y) {
    for (int x = 0; x < img.width; ++x) {
      bool expect = false;
      const int gx = x - 3, gy = y - 2;
      if (gx >= 0 && gy >= 0 && gy < 14) {
        const int ci = gx / 12, col = (gx % 12) / 2;
        if (ci < 2 && col < 5) expect = vae::font_pixel("L7"[ci], col, gy / 2);
      }
      const vae::Rgb c = img.get(x, y);
      EXPECT_EQ(c.r == ink.r && c.g == ink.g && c.b == ink.b, expect) << "x " << x << " y " << y;
    }
  }
  // Vertical: turned anticlockwise, the glyph's top row runs up the left column.
  vae::RgbImage v(10, 10, vae::Rgb{255, 255, 255});
  vae::draw_text(v, 1, 8, "L", ink, 1, true);
  // 'L' rows 0..5 are "#....": only col 0, which lands on the bottom row y = 8 - 0 - 1 = 7.
  for (int r = 0; r < 7; ++r) EXPECT_EQ(v.get(1 + r, 7).r, ink.r) << "row " << r;
  // Row 6 is "#####": x = 1 + 6 = 7, y from 7 up to 3.
  for (int k = 0; k < 5; ++k) EXPECT_EQ(v.get(7, 7 - k).r, ink.r) << "col " << k;
  EXPECT_EQ(v.get(2, 6).r, 255);
}

TEST(Plot, DrawsCurvesLegendAndAxes) {
  vae::PlotSpec spec;
  spec.width = 640;
  spec.height = 400;
  spec.title = "loss per epoch";
  spec.x_label = "epoch";
  spec.y_label = "loss";
  spec.integer_x = true;
  vae::Curve train{"train", {1, 2, 3, 4, 5}, {40, 30, 25, 23, 22}, vae::plot_blue, vae::LineStyle::solid};
  vae::Curve test{"test", {1, 2, 3, 4, 5}, {35, 29, 26, 24, 23.5}, vae::plot_orange, vae::LineStyle::dashed};
  const vae::RgbImage img = vae::render_line_plot(spec, {train, test});
  ASSERT_EQ(img.width, 640);
  ASSERT_EQ(img.height, 400);
  int blue = 0, orange = 0, white = 0, black = 0;
  for (int y = 0; y < img.height; ++y) {
    for (int x = 0; x < img.width; ++x) {
      const vae::Rgb c = img.get(x, y);
      blue += c.r == 31 && c.g == 119 && c.b == 180;
      orange += c.r == 255 && c.g == 127 && c.b == 14;
      white += c.r == 255 && c.g == 255 && c.b == 255;
      black += c.r == 0 && c.g == 0 && c.b == 0;
    }
  }
  EXPECT_GT(blue, 500);          // a 2-px line across most of ~550 px, plus its legend sample
  EXPECT_GT(orange, 200);        // dashed: fewer pixels
  EXPECT_LT(orange, blue);
  EXPECT_GT(white, img.width * img.height / 2);
  EXPECT_GT(black, 200);         // text
  // Blue's first point (x = 1, y = 40, the top of the data) is near the upper left of the plot.
  bool found = false;
  for (int y = 0; y < img.height / 3 && !found; ++y) {
    for (int x = 0; x < img.width / 3 && !found; ++x) {
      const vae::Rgb c = img.get(x, y);
      found = c.r == 31 && c.g == 119 && c.b == 180;
    }
  }
  EXPECT_TRUE(found);

  spec.log_y = true;
  EXPECT_NO_THROW(vae::render_line_plot(spec, {train, test}));
  // A single point and a constant curve are drawable.
  EXPECT_NO_THROW(vae::render_line_plot(spec, {vae::Curve{"one", {1}, {5}, vae::plot_red}}));
  EXPECT_NO_THROW(vae::render_line_plot(spec, {vae::Curve{"flat", {1, 2}, {5, 5}, vae::plot_red}}));
}

TEST(Plot, ErrorsAreOneLine) {
  vae::PlotSpec spec;
  spec.title = "t";
  try {
    vae::render_line_plot(spec, {vae::Curve{"bad", {1, 2}, {3}, vae::plot_red}});
    FAIL() << "no error";
  } catch (const vae::Error& e) {
    EXPECT_NE(std::string(e.what()).find("'bad'"), std::string::npos) << e.what();
  }
  const double nan = std::nan("");
  EXPECT_THROW(vae::render_line_plot(spec, {vae::Curve{"nan", {1, 2}, {nan, nan}, vae::plot_red}}),
               vae::Error);
  spec.width = 30;
  EXPECT_THROW(vae::render_line_plot(spec, {vae::Curve{"ok", {1, 2}, {1, 2}, vae::plot_red}}),
               vae::Error);
}

// --- scatter plots -----------------------------------------------------------------------------

int count_color(const vae::RgbImage& img, vae::Rgb c) {
  int n = 0;
  for (int y = 0; y < img.height; ++y) {
    for (int x = 0; x < img.width; ++x) {
      const vae::Rgb p = img.get(x, y);
      n += p.r == c.r && p.g == c.g && p.b == c.b;
    }
  }
  return n;
}

TEST(Scatter, DiscsInGroupColoursAndOneLegendSwatchEach) {
  vae::PlotSpec spec;
  spec.width = 500;
  spec.height = 400;
  spec.title = "latent";
  spec.x_label = "mu_1";
  spec.y_label = "mu_2";
  const vae::Rgb a = vae::plot_palette[4], b = vae::plot_palette[9];
  // Three points of a, two of b, far apart; then one b exactly on top of an a.
  vae::ScatterPoints pts{{-2, 2, 0, -2, 2, 0}, {-1, -1, 0, 1, 1, 0}, {0, 0, 0, 1, 1, 1}};
  const vae::RgbImage img = vae::render_scatter_plot(spec, pts, {{"first", a}, {"second", b}}, 2);
  ASSERT_EQ(img.width, 500);
  ASSERT_EQ(img.height, 400);
  // A disc of radius 2 is the 21 pixels with dx^2 + dy^2 <= 2.5^2; a swatch is a square of the
  // text height (7 * scale 2 = 14 px). The b drawn last at (0, 0) covers the a under it.
  const int disc = 21, swatch = 14 * 14;
  EXPECT_EQ(count_color(img, a), 2 * disc + swatch);
  EXPECT_EQ(count_color(img, b), 3 * disc + swatch);
  EXPECT_GT(count_color(img, vae::Rgb{0, 0, 0}), 300);   // title, tick labels, legend names
  // The b point at (2, 1), the largest x and y, is in the upper right of the picture; the a point
  // at (-2, -1) in the lower left.
  auto find = [&](vae::Rgb c, int x0, int x1, int y0, int y1) {
    for (int y = y0; y < y1; ++y) {
      for (int x = x0; x < x1; ++x) {
        const vae::Rgb p = img.get(x, y);
        if (p.r == c.r && p.g == c.g && p.b == c.b) return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(find(a, 0, 200, 250, 400));
  EXPECT_TRUE(find(b, 250, 400, 0, 150));   // left of the legend, which sits right of x = 400
  // The PNG of it decodes to the same size with an independent decoder.
  const Decoded d = decode_png(vae::encode_png(img.width, img.height, 3, img.pixels.data()));
  EXPECT_EQ(d.width, 500);
  EXPECT_EQ(d.height, 400);
  EXPECT_EQ(d.channels, 3);
  // Radius 0 is one pixel per point.
  const vae::RgbImage one = vae::render_scatter_plot(spec, pts, {{"first", a}, {"second", b}}, 0);
  EXPECT_EQ(count_color(one, a), 2 + swatch);
}

TEST(Scatter, ErrorsAreOneLine) {
  vae::PlotSpec spec;
  spec.title = "t";
  const std::vector<vae::ScatterGroup> groups{{"g", vae::plot_blue}};
  auto message = [&](const vae::ScatterPoints& p, int radius = 2) {
    try {
      vae::render_scatter_plot(spec, p, groups, radius);
    } catch (const vae::Error& e) {
      const std::string m = e.what();
      EXPECT_EQ(m.find('\n'), std::string::npos) << m;
      return m;
    }
    return std::string("no error");
  };
  EXPECT_NE(message({{1, 2}, {3}, {0, 0}}).find("expected equal counts"), std::string::npos);
  EXPECT_NE(message({{1, 2}, {3, 4}, {0, 1}}).find("point 1 has group 1"), std::string::npos);
  EXPECT_NE(message({{1}, {3}, {-1}}).find("group -1"), std::string::npos);
  const double nan = std::nan("");
  EXPECT_NE(message({{nan}, {3}, {0}}).find("no finite point"), std::string::npos);
  EXPECT_NE(message({{1}, {3}, {0}}, -1).find("radius"), std::string::npos);
  spec.log_y = true;
  EXPECT_NE(message({{1}, {3}, {0}}).find("log_y"), std::string::npos);
  spec.log_y = false;
  spec.width = 60;
  EXPECT_NE(message({{1}, {3}, {0}}).find("no room"), std::string::npos);
  // One point (a flat range on both axes) is drawable.
  spec.width = 400;
  EXPECT_EQ(message({{1}, {3}, {0}}), "no error");
}

}  // namespace

}  // namespace test_image
