// vae/image/image.hpp - write pictures: grayscale and RGB PNG, PGM, grids of digits, line and
// scatter plots.
//
// What it is: the hosted library vae::image, used by the apps to put MNIST digits, decoder
// samples and loss curves into files that open in any viewer. PNGs are encoded in memory by
// stb_image_write and then written with vae::write_file_atomic (temporary file, fsync, rename),
// so an interrupted run never leaves a half-written picture. A tiny built-in 5x7 bitmap font
// (printable ASCII) labels the plots.
//
// What it is not: not a general imaging library. It reads no images (tests decode with
// stb_image), does no colour management, no anti-aliasing and no resampling beyond integer
// nearest-neighbour upscaling. It does not depend on the training library (vae::vae): it links
// only stb (header, private) and vae::atomic_file, so the generator app can use it alone.
//
// Buffers: every image is row-major, top row first, 8 bits per channel, no row padding:
//   gray (height, width), RGB (height, width, 3). The caller owns pixels passed in; functions
// that return a bitmap return an owning std::vector.
// Errors: a vae::Error whose what() is one line naming the file (or the function) and what was
// expected, e.g. "write_png_gray: out/a.png: width 0 and height 28 must be positive".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vae {

// --- files -------------------------------------------------------------------------------------

// PNG bytes in memory. comp = 1 (gray) or 3 (RGB); pixels (height, width, comp).
std::vector<std::uint8_t> encode_png(int width, int height, int comp, const std::uint8_t* pixels);

// Atomic writes of a whole picture; any earlier file at `path` stays intact on failure.
void write_png_gray(const std::string& path, int width, int height, const std::uint8_t* pixels);
void write_png_rgb(const std::string& path, int width, int height, const std::uint8_t* pixels);
// Binary PGM (netpbm P5): the header "P5\n<width> <height>\n255\n", then the gray bytes.
void write_pgm(const std::string& path, int width, int height, const std::uint8_t* pixels);

// The largest picture the writers and tile_grid accept, in pixels (width * height): the apps
// check a picture's size against it before doing the work that would fill it.
inline constexpr long long max_image_pixels = 1LL << 28;

// --- grids of small images ---------------------------------------------------------------------

// The geometry of tile_grid: grid_rows = ceil(count / grid_cols); `pad` pixels separate the
// tiles and surround the whole grid, so
//   width  = grid_cols * cols + (grid_cols + 1) * pad
//   height = grid_rows * rows + (grid_rows + 1) * pad
int tile_grid_width(int cols, int grid_cols, int pad);
int tile_grid_height(int rows, int count, int grid_cols, int pad);

// Tile `count` gray images (count, rows, cols), in reading order, into one gray bitmap of
// (tile_grid_height, tile_grid_width). Padding and the empty cells of a partial last row are
// `pad_value`. count >= 1, rows, cols, grid_cols >= 1, pad >= 0.
std::vector<std::uint8_t> tile_grid(const std::uint8_t* images, int count, int rows, int cols,
                                    int grid_cols, int pad, std::uint8_t pad_value = 0);

// Nearest-neighbour enlargement by an integer factor: (height, width, channels) ->
// (height * factor, width * factor, channels).
std::vector<std::uint8_t> upscale(const std::uint8_t* pixels, int width, int height, int channels,
                                  int factor);

// --- RGB canvas, text and line plots -----------------------------------------------------------

struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
};

// An owning RGB bitmap; drawing outside it is clipped silently.
struct RgbImage {
  int width = 0, height = 0;
  std::vector<std::uint8_t> pixels;   // (height, width, 3)

  RgbImage() = default;
  RgbImage(int w, int h, Rgb fill);
  void set(int x, int y, Rgb c);       // no-op outside the image
  Rgb get(int x, int y) const;         // (0, 0, 0) outside the image
  void fill_rect(int x, int y, int w, int h, Rgb c);
};

void write_png_rgb(const std::string& path, const RgbImage& image);

// The built-in font: 5x7 glyphs in a 6x8 cell (one column and one row of spacing), scaled by an
// integer factor. Every printable ASCII character (32..126) has a glyph; others draw as '?'.
inline constexpr int font_glyph_width = 5;
inline constexpr int font_glyph_height = 7;
inline constexpr int font_advance = 6;
// Whether pixel (col, row) of c's glyph is set; col in [0, 5), row in [0, 7).
bool font_pixel(char c, int col, int row);
int text_width(const std::string& text, int scale);    // = 6 * scale * size - scale (0 if empty)
int text_height(int scale);                            // = 7 * scale
// Draw text with its top-left corner at (x, y); `vertical` turns it 90 degrees anticlockwise
// (reading bottom to top, (x, y) is then the bottom-left corner of the turned text).
void draw_text(RgbImage& image, int x, int y, const std::string& text, Rgb color, int scale,
               bool vertical = false);

enum class LineStyle { solid, dashed };

// One named curve: points (x[i], y[i]) joined in order; a non-finite y breaks the line.
struct Curve {
  std::string name;            // shown in the legend
  std::vector<double> x, y;    // (n) each
  Rgb color;
  LineStyle style = LineStyle::solid;
};

struct PlotSpec {
  int width = 960, height = 600;   // pixels of the whole picture
  std::string title, x_label, y_label;
  bool log_y = false;              // logarithmic y axis (only positive y are drawn)
  bool integer_x = false;          // x ticks at whole numbers only (epochs)
  int text_scale = 2;              // font scale of title, tick labels and legend
};

// A line plot on a white background: title, axes with ticks, tick labels and grid lines, the
// curves (2 px wide), and a legend in the upper right corner of the plot area. The axes span
// the finite data (padded by 5%); curves need not share x values. Throws vae::Error if no curve
// has a drawable point or a curve's x and y sizes differ.
RgbImage render_line_plot(const PlotSpec& spec, const std::vector<Curve>& curves);

// A few distinguishable colours for curves (matplotlib's "tab10" first four).
inline constexpr Rgb plot_blue{31, 119, 180};
inline constexpr Rgb plot_orange{255, 127, 14};
inline constexpr Rgb plot_green{44, 160, 44};
inline constexpr Rgb plot_red{214, 39, 40};
// All ten of tab10, for ten classes: blue, orange, green, red, purple, brown, pink, gray, olive,
// cyan.
inline constexpr Rgb plot_palette[10] = {
    plot_blue,       plot_orange,     plot_green,      plot_red,       {148, 103, 189},
    {140, 86, 75},   {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};

// --- scatter plots -----------------------------------------------------------------------------

struct ScatterGroup {            // a class of points: its colour and its name in the legend
  std::string name;
  Rgb color;
};

// Points (x[i], y[i]) of group[i]. They are drawn in index order, not group by group, so that
// no group hides another wholesale: in overlaps the later point is on top.
struct ScatterPoints {
  std::vector<double> x, y;      // (n) each
  std::vector<int> group;        // (n) indices into the groups
};

// A scatter plot on a white background: title, axes with ticks, tick labels and grid lines as in
// render_line_plot (linear axes only: spec.log_y must be false), every finite point a filled disc
// of radius point_radius pixels (0: one pixel) in its group's colour, and a legend right of the
// plot area with a colour swatch and the name of each group. The axes span the finite points
// (padded by 5%). Throws vae::Error if the sizes differ, a group index is out of range, no point
// is finite, or the picture is too small for its text.
RgbImage render_scatter_plot(const PlotSpec& spec, const ScatterPoints& points,
                             const std::vector<ScatterGroup>& groups, int point_radius = 2);

}  // namespace vae
