// plot.cpp - line and scatter plots on an RGB canvas: axes, nice ticks, grid, curves or points,
// legend (vae/image/image.hpp).
//
// Enough for loss curves and latent-space scatters, nothing more: one pair of axes (draw_axes,
// shared by both kinds), linear x, linear or log10 y, no anti-aliasing, no automatic legend
// placement (a line plot's is in the upper right of the plot area, a scatter's right of it).
// Tick steps are "nice" numbers (1, 2 or 5 times a power of ten) so that labels stay short.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "vae/error.hpp"
#include "vae/image/image.hpp"

namespace vae {
namespace {

constexpr Rgb white{255, 255, 255};
constexpr Rgb black{0, 0, 0};
constexpr Rgb axis_gray{90, 90, 90};
constexpr Rgb grid_gray{228, 228, 228};
constexpr Rgb legend_border{160, 160, 160};

struct Tick {
  double value;      // in data units (for a log axis: the data value, not its log)
  std::string label;
};

// 1, 2 or 5 times a power of ten, close to range / target.
double nice_step(double range, int target) {
  const double raw = range / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  return (f < 1.5 ? 1.0 : f < 3.0 ? 2.0 : f < 7.0 ? 5.0 : 10.0) * mag;
}

std::string format_fixed(double v, int decimals) {
  if (std::fabs(v) < 0.5 * std::pow(10.0, -decimals)) v = 0.0;   // no "-0.0" labels
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::vector<Tick> linear_ticks(double lo, double hi, bool integer) {
  double step = nice_step(hi - lo, 6);
  if (integer) step = std::max(1.0, std::round(step));
  const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  std::vector<Tick> ticks;
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push_back({t, format_fixed(t, integer ? 0 : decimals)});
    if (ticks.size() > 50) break;   // cannot happen with a nice step; a guard, not a feature
  }
  return ticks;
}

std::vector<Tick> log_ticks(double lo, double hi) {   // lo, hi: data values, > 0
  const int k0 = static_cast<int>(std::floor(std::log10(lo)));
  const int k1 = static_cast<int>(std::ceil(std::log10(hi)));
  auto collect = [&](std::initializer_list<int> mantissas) {
    std::vector<Tick> ticks;
    for (int k = k0; k <= k1; ++k) {
      for (int m : mantissas) {
        const double v = m * std::pow(10.0, k);
        if (v < lo * (1 - 1e-9) || v > hi * (1 + 1e-9)) continue;
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", v);
        ticks.push_back({v, buf});
      }
    }
    return ticks;
  };
  std::vector<Tick> ticks = collect({1, 2, 5});
  if (ticks.size() < 4) ticks = collect({1, 2, 3, 4, 5, 6, 7, 8, 9});
  if (ticks.size() > 12) ticks = collect({1});
  return ticks;
}

bool drawable(double x, double y, bool log_y) {
  return std::isfinite(x) && std::isfinite(y) && (!log_y || y > 0);
}

// The plot area of a picture and its data-to-pixel mapping (draw_axes makes one).
struct Frame {
  int left = 0, top = 0, width = 0, height = 0;    // the plot area, in pixels
  double x_lo = 0, x_hi = 1, y_lo = 0, y_hi = 1;   // its span in axis units (log10 y on a log axis)
  int px(double x) const {
    return left + static_cast<int>(std::lround((x - x_lo) / (x_hi - x_lo) * (width - 1)));
  }
  int py(double y) const {
    return top + height - 1 - static_cast<int>(std::lround((y - y_lo) / (y_hi - y_lo) * (height - 1)));
  }
  bool inside(int x, int y) const { return x >= left && x < left + width && y >= top && y < top + height; }
};

// Replace `img` by a white picture of spec's size holding the title, the axis labels, the ticks
// with their labels and grid lines, and the frame of a plot area spanning [x_lo, x_hi] x
// [y_lo, y_hi] (axis units, padding included), leaving `right` pixels right of the plot area for
// the caller (a legend). `who` names the caller in errors.
Frame draw_axes(RgbImage& img, const PlotSpec& spec, double x_lo, double x_hi, double y_lo, double y_hi,
                int right, const char* who) {
  const int s = std::max(1, spec.text_scale);
  const int ch = text_height(s);
  const std::vector<Tick> x_ticks = linear_ticks(x_lo, x_hi, spec.integer_x);
  const std::vector<Tick> y_ticks =
      spec.log_y ? log_ticks(std::pow(10.0, y_lo), std::pow(10.0, y_hi)) : linear_ticks(y_lo, y_hi, false);

  // --- the layout: margins from the text they hold ---
  const int tick_len = 3 * s, gap = 3 * s;
  int y_label_w = 0;
  for (const Tick& t : y_ticks) y_label_w = std::max(y_label_w, text_width(t.label, s));
  const int left = gap + (spec.y_label.empty() ? 0 : ch + 2 * gap) + y_label_w + gap + tick_len;
  const int top = spec.title.empty() ? 4 * gap : 2 * ch;
  const int bottom = tick_len + gap + ch + (spec.x_label.empty() ? 0 : gap * 2 + ch) + 3 * gap;
  const int plot_w = spec.width - left - right, plot_h = spec.height - top - bottom;
  if (plot_w < 20 || plot_h < 20) {
    throw Error(std::string(who) + ": '" + spec.title + "': " + std::to_string(spec.width) + "x" +
                std::to_string(spec.height) + " leaves no room for the plot area at text scale " +
                std::to_string(s));
  }
  img = RgbImage(spec.width, spec.height, white);
  const Frame f{left, top, plot_w, plot_h, x_lo, x_hi, y_lo, y_hi};
  auto axis_y = [&](double v) { return spec.log_y ? std::log10(v) : v; };

  // --- grid, ticks and their labels ---
  for (const Tick& t : x_ticks) {
    const int x = f.px(t.value);
    if (x < left || x >= left + plot_w) continue;
    img.fill_rect(x, top, 1, plot_h, grid_gray);
    img.fill_rect(x, top + plot_h, 1, tick_len, axis_gray);
    draw_text(img, x - text_width(t.label, s) / 2, top + plot_h + tick_len + gap, t.label, black, s);
  }
  for (const Tick& t : y_ticks) {
    const int y = f.py(axis_y(t.value));
    if (y < top || y >= top + plot_h) continue;
    img.fill_rect(left, y, plot_w, 1, grid_gray);
    img.fill_rect(left - tick_len, y, tick_len, 1, axis_gray);
    draw_text(img, left - tick_len - gap - text_width(t.label, s), y - ch / 2, t.label, black, s);
  }
  // The frame of the plot area.
  img.fill_rect(left - 1, top - 1, plot_w + 2, 1, axis_gray);
  img.fill_rect(left - 1, top + plot_h, plot_w + 2, 1, axis_gray);
  img.fill_rect(left - 1, top - 1, 1, plot_h + 2, axis_gray);
  img.fill_rect(left + plot_w, top - 1, 1, plot_h + 2, axis_gray);

  // --- title (centred on the picture) and axis labels (centred on the plot area) ---
  if (!spec.title.empty()) {
    draw_text(img, (spec.width - text_width(spec.title, s)) / 2, (top - ch) / 2, spec.title, black, s);
  }
  if (!spec.x_label.empty()) {
    draw_text(img, left + (plot_w - text_width(spec.x_label, s)) / 2,
              top + plot_h + tick_len + gap + ch + 2 * gap, spec.x_label, black, s);
  }
  if (!spec.y_label.empty()) {
    draw_text(img, gap, top + (plot_h + text_width(spec.y_label, s)) / 2, spec.y_label, black, s,
              true);
  }
  return f;
}

}  // namespace

RgbImage render_line_plot(const PlotSpec& spec, const std::vector<Curve>& curves) {
  const int s = std::max(1, spec.text_scale);
  const int ch = text_height(s);

  // --- the data range ---
  double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo;
  double y_lo = x_lo, y_hi = -x_lo;
  for (const Curve& c : curves) {
    if (c.x.size() != c.y.size()) {
      throw Error("render_line_plot: curve '" + c.name + "' has " + std::to_string(c.x.size()) +
                  " x values and " + std::to_string(c.y.size()) + " y values, expected equal");
    }
    for (std::size_t i = 0; i < c.x.size(); ++i) {
      if (!drawable(c.x[i], c.y[i], spec.log_y)) continue;
      const double y = spec.log_y ? std::log10(c.y[i]) : c.y[i];
      x_lo = std::min(x_lo, c.x[i]);
      x_hi = std::max(x_hi, c.x[i]);
      y_lo = std::min(y_lo, y);
      y_hi = std::max(y_hi, y);
    }
  }
  if (!(x_lo <= x_hi)) {
    throw Error("render_line_plot: '" + spec.title + "': no curve has a finite point" +
                (spec.log_y ? " with y > 0" : ""));
  }
  if (x_hi - x_lo < 1e-12 * std::max(1.0, std::fabs(x_lo))) {
    x_lo -= 0.5;
    x_hi += 0.5;
  }
  if (y_hi - y_lo < 1e-12 * std::max(1.0, std::fabs(y_lo))) {
    y_lo -= spec.log_y ? 0.1 : 0.5;
    y_hi += spec.log_y ? 0.1 : 0.5;
  }
  const double x_pad = 0.02 * (x_hi - x_lo), y_pad = 0.05 * (y_hi - y_lo);
  x_lo -= x_pad;
  x_hi += x_pad;
  y_lo -= y_pad;
  y_hi += y_pad;

  const int gap = 3 * s;
  RgbImage img;
  const Frame frame = draw_axes(img, spec, x_lo, x_hi, y_lo, y_hi, 6 * gap, "render_line_plot");
  const int left = frame.left, top = frame.top, plot_w = frame.width, plot_h = frame.height;
  auto px = [&](double x) { return frame.px(x); };
  auto py = [&](double y) { return frame.py(y); };   // y in axis units (log10 already applied)
  auto axis_y = [&](double v) { return spec.log_y ? std::log10(v) : v; };

  // --- the curves: 2 px wide, clipped to the plot area; dashes continue across segments ---
  auto plot_pixel = [&](int x, int y, Rgb c) {
    if (x >= left && x < left + plot_w && y >= top && y < top + plot_h) img.set(x, y, c);
  };
  auto brush = [&](int x, int y, Rgb c) {
    plot_pixel(x, y, c);
    plot_pixel(x + 1, y, c);
    plot_pixel(x, y + 1, c);
    plot_pixel(x + 1, y + 1, c);
  };
  constexpr double dash_on = 8.0, dash_period = 13.0;
  auto draw_segment = [&](int x0, int y0, int x1, int y1, const Curve& c, double& phase) {
    const int dx = x1 - x0, dy = y1 - y0;
    const int n = std::max(std::abs(dx), std::abs(dy));
    const double length = std::hypot(dx, dy);
    for (int i = 0; i <= n; ++i) {
      const double f = n ? static_cast<double>(i) / n : 0.0;
      const bool on = c.style == LineStyle::solid ||
                      std::fmod(phase + f * length, dash_period) < dash_on;
      if (on) {
        brush(x0 + static_cast<int>(std::lround(f * dx)), y0 + static_cast<int>(std::lround(f * dy)),
              c.color);
      }
    }
    phase = std::fmod(phase + length, dash_period);
  };
  for (const Curve& c : curves) {
    double phase = 0.0;
    const std::size_t n = c.x.size();
    for (std::size_t i = 0; i < n; ++i) {
      if (!drawable(c.x[i], c.y[i], spec.log_y)) continue;
      const int x0 = px(c.x[i]), y0 = py(axis_y(c.y[i]));
      const bool next = i + 1 < n && drawable(c.x[i + 1], c.y[i + 1], spec.log_y);
      const bool prev = i > 0 && drawable(c.x[i - 1], c.y[i - 1], spec.log_y);
      if (next) draw_segment(x0, y0, px(c.x[i + 1]), py(axis_y(c.y[i + 1])), c, phase);
      if (!next && !prev) {   // an isolated point: a small square marker
        for (int yy = -2; yy <= 2; ++yy) {
          for (int xx = -2; xx <= 2; ++xx) plot_pixel(x0 + xx, y0 + yy, c.color);
        }
      }
    }
  }

  // --- the legend, upper right inside the plot area ---
  int name_w = 0, entries = 0;
  for (const Curve& c : curves) {
    if (c.name.empty()) continue;
    name_w = std::max(name_w, text_width(c.name, s));
    ++entries;
  }
  if (entries > 0) {
    const int sample_w = 12 * gap, row_h = ch + 2 * gap;
    const int box_w = gap + sample_w + 2 * gap + name_w + 2 * gap;
    const int box_h = entries * row_h + 2 * gap;
    const int bx = left + plot_w - box_w - 3 * gap, by = top + 3 * gap;
    img.fill_rect(bx, by, box_w, box_h, legend_border);
    img.fill_rect(bx + 1, by + 1, box_w - 2, box_h - 2, white);
    int row = 0;
    for (const Curve& c : curves) {
      if (c.name.empty()) continue;
      const int y = by + gap + row * row_h + row_h / 2;
      double phase = 0.0;
      draw_segment(bx + gap, y - 1, bx + gap + sample_w, y - 1, c, phase);
      draw_text(img, bx + gap + sample_w + 2 * gap, y - ch / 2, c.name, black, s);
      ++row;
    }
  }
  return img;
}

RgbImage render_scatter_plot(const PlotSpec& spec, const ScatterPoints& points,
                             const std::vector<ScatterGroup>& groups, int point_radius) {
  const std::size_t n = points.x.size();
  if (points.y.size() != n || points.group.size() != n) {
    throw Error("render_scatter_plot: '" + spec.title + "': " + std::to_string(n) + " x, " +
                std::to_string(points.y.size()) + " y and " + std::to_string(points.group.size()) +
                " group values, expected equal counts");
  }
  if (spec.log_y) throw Error("render_scatter_plot: '" + spec.title + "': log_y is for line plots only");
  if (point_radius < 0 || point_radius > 50) {
    throw Error("render_scatter_plot: point radius " + std::to_string(point_radius) + ", expected 0..50");
  }
  double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo;
  double y_lo = x_lo, y_hi = -x_lo;
  for (std::size_t i = 0; i < n; ++i) {
    if (points.group[i] < 0 || static_cast<std::size_t>(points.group[i]) >= groups.size()) {
      throw Error("render_scatter_plot: point " + std::to_string(i) + " has group " +
                  std::to_string(points.group[i]) + ", expected 0.." + std::to_string(groups.size()) +
                  " (exclusive)");
    }
    if (!std::isfinite(points.x[i]) || !std::isfinite(points.y[i])) continue;
    x_lo = std::min(x_lo, points.x[i]);
    x_hi = std::max(x_hi, points.x[i]);
    y_lo = std::min(y_lo, points.y[i]);
    y_hi = std::max(y_hi, points.y[i]);
  }
  if (!(x_lo <= x_hi)) throw Error("render_scatter_plot: '" + spec.title + "': no finite point");
  // A flat range gets a unit span; every range gets 5% of room on each side, so that the discs
  // at the extremes stay whole.
  auto widen = [](double& lo, double& hi) {
    if (hi - lo < 1e-12 * std::max(1.0, std::fabs(lo))) {
      lo -= 0.5;
      hi += 0.5;
    }
    const double pad = 0.05 * (hi - lo);
    lo -= pad;
    hi += pad;
  };
  widen(x_lo, x_hi);
  widen(y_lo, y_hi);

  // The legend's size decides the right margin: one row per group, a colour swatch and the name.
  const int s = std::max(1, spec.text_scale);
  const int ch = text_height(s), gap = 3 * s, row_h = ch + 2 * gap;
  int name_w = 0;
  for (const ScatterGroup& g : groups) name_w = std::max(name_w, text_width(g.name, s));
  const int box_w = gap + ch + 2 * gap + name_w + 2 * gap;
  const int box_h = static_cast<int>(groups.size()) * row_h + 2 * gap;
  const int legend_gap = 4 * gap;
  RgbImage img;
  const Frame f = draw_axes(img, spec, x_lo, x_hi, y_lo, y_hi,
                            groups.empty() ? 6 * gap : legend_gap + box_w + 2 * gap, "render_scatter_plot");

  // Discs: the pixels within point_radius + 0.5 of the centre, clipped to the plot area.
  const double r2 = (point_radius + 0.5) * (point_radius + 0.5);
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(points.x[i]) || !std::isfinite(points.y[i])) continue;
    const int cx = f.px(points.x[i]), cy = f.py(points.y[i]);
    const Rgb c = groups[static_cast<std::size_t>(points.group[i])].color;
    for (int dy = -point_radius; dy <= point_radius; ++dy) {
      for (int dx = -point_radius; dx <= point_radius; ++dx) {
        if (dx * dx + dy * dy <= r2 && f.inside(cx + dx, cy + dy)) img.set(cx + dx, cy + dy, c);
      }
    }
  }

  if (!groups.empty()) {   // the legend, top-aligned with the plot area, right of it
    const int bx = f.left + f.width + legend_gap, by = f.top;
    img.fill_rect(bx, by, box_w, box_h, legend_border);
    img.fill_rect(bx + 1, by + 1, box_w - 2, box_h - 2, white);
    for (std::size_t g = 0; g < groups.size(); ++g) {
      const int y = by + gap + static_cast<int>(g) * row_h + row_h / 2;
      img.fill_rect(bx + gap, y - ch / 2, ch, ch, groups[g].color);
      draw_text(img, bx + gap + ch + 2 * gap, y - ch / 2, groups[g].name, black, s);
    }
  }
  return img;
}

}  // namespace vae
