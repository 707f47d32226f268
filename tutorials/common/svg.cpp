// The SVG charts: a fixed 720x540 canvas, a plot frame with "nice" ticks (1, 2 or 5 times a power of
// ten), data mapped linearly into the frame.
#include "svg.h"

#include "label_layout.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

namespace tutorials {
namespace {

constexpr double kWidth = 720, kHeight = 540;
constexpr double kLeft = 80, kRight = 690, kTop = 50, kBottom = 480;  // the plot frame in pixels

std::string escaped(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// A data range [lo, hi] widened to whole ticks, with the tick step.
struct Range {
  double lo, hi, step;
};

Range nice_range(double lo, double hi) {
  if (!(hi > lo)) { lo -= 1; hi += 1; }
  const double raw = (hi - lo) / 6;  // about six ticks
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / p;
  const double step = (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
  return {std::floor(lo / step) * step, std::ceil(hi / step) * step, step};
}

// Frame, ticks, grid, title and axis labels; returns the ranges used to map data to pixels.
class Chart {
 public:
  Chart(const std::string& title, const std::string& x_label, const std::string& y_label, Range xr, Range yr)
      : xr_(xr), yr_(yr) {
    svg_ << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << kHeight
         << "\" font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
    for (double t = xr.lo; t <= xr.hi + xr.step / 2; t += xr.step) {
      if (std::fabs(t) < xr.step * 1e-9) t = 0;  // 0, not the sum's rounding error
      svg_ << "<line x1=\"" << px(t) << "\" y1=\"" << kTop << "\" x2=\"" << px(t) << "\" y2=\"" << kBottom
           << "\" stroke=\"#e5e5e5\"/>\n<text x=\"" << px(t) << "\" y=\"" << kBottom + 18
           << "\" font-size=\"12\" text-anchor=\"middle\">" << num(t) << "</text>\n";
    }
    for (double t = yr.lo; t <= yr.hi + yr.step / 2; t += yr.step) {
      if (std::fabs(t) < yr.step * 1e-9) t = 0;
      svg_ << "<line x1=\"" << kLeft << "\" y1=\"" << py(t) << "\" x2=\"" << kRight << "\" y2=\"" << py(t)
           << "\" stroke=\"#e5e5e5\"/>\n<text x=\"" << kLeft - 6 << "\" y=\"" << py(t) + 4
           << "\" font-size=\"12\" text-anchor=\"end\">" << num(t) << "</text>\n";
    }
    svg_ << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << kRight - kLeft << "\" height=\""
         << kBottom - kTop << "\" fill=\"none\" stroke=\"black\"/>\n"
         << "<text x=\"" << kWidth / 2 << "\" y=\"30\" font-size=\"18\" text-anchor=\"middle\">" << escaped(title)
         << "</text>\n<text x=\"" << (kLeft + kRight) / 2 << "\" y=\"" << kHeight - 20
         << "\" font-size=\"14\" text-anchor=\"middle\">" << escaped(x_label) << "</text>\n"
         << "<text x=\"20\" y=\"" << (kTop + kBottom) / 2 << "\" font-size=\"14\" text-anchor=\"middle\" "
         << "transform=\"rotate(-90 20 " << (kTop + kBottom) / 2 << ")\">" << escaped(y_label) << "</text>\n";
  }
  double px(double x) const { return kLeft + (x - xr_.lo) / (xr_.hi - xr_.lo) * (kRight - kLeft); }
  double py(double y) const { return kBottom - (y - yr_.lo) / (yr_.hi - yr_.lo) * (kBottom - kTop); }
  std::ostringstream& body() { return svg_; }
  void save(const std::string& path) {
    svg_ << "</svg>\n";
    std::ofstream out(path);
    out << svg_.str();
    if (!out) throw std::runtime_error("cannot write '" + path + "' (does the --out folder exist?)");
  }

 private:
  Range xr_, yr_;
  std::ostringstream svg_;
};

// The range of a set of values, padded by 5% so no point sits on the frame.
Range padded_range(double lo, double hi) {
  const double pad = (hi - lo) * 0.05;
  return nice_range(lo - pad, hi + pad);
}

}  // namespace

void write_scatter_svg(const std::string& path, const std::string& title, const std::string& x_label,
                       const std::string& y_label, const std::vector<LabelledPoint>& points,
                       const std::vector<LegendEntry>& legend) {
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const auto& p : points) {
    x0 = std::min(x0, p.x); x1 = std::max(x1, p.x);
    y0 = std::min(y0, p.y); y1 = std::max(y1, p.y);
  }
  // The legend gets a band of its own at the top of the frame: the y range grows upwards to leave it empty.
  const double legend_band = legend.empty() ? 0.0 : 20.0 * static_cast<double>(legend.size()) + 10;
  const double headroom = (y1 - y0) * legend_band / (kBottom - kTop - legend_band);
  Chart chart(title, x_label, y_label, padded_range(x0, x1), padded_range(y0, y1 + headroom));
  // A label of one or two characters sits in a disc; a longer one (a word) in a box as wide as its text.
  constexpr double r = 10, half_h = 10;  // a disc's radius, a box's half height, pixels
  bool words = false;
  for (const auto& p : points) words = words || p.label.size() > 2;
  std::vector<Spot> anchors;
  std::vector<double> half_w;
  for (const auto& p : points) {
    anchors.push_back({chart.px(p.x), chart.py(p.y)});
    half_w.push_back(words ? 4.2 * static_cast<double>(p.label.size()) + 6 : r);  // ~8.4 px a character at 14 px
  }
  const std::vector<Spot> spots = words ? place_boxes(anchors, half_w, half_h, 2, kLeft, kRight, kTop + legend_band, kBottom)
                                        : place_labels(anchors, r, 2, kLeft, kRight, kTop + legend_band, kBottom);
  auto& svg = chart.body();
  for (size_t i = 0; i < points.size(); ++i)  // leader lines and dots first, so the labels cover them
    if (std::fabs(spots[i].x - anchors[i].x) > half_w[i] || std::fabs(spots[i].y - anchors[i].y) > (words ? half_h : r))
      svg << "<line x1=\"" << num(anchors[i].x) << "\" y1=\"" << num(anchors[i].y) << "\" x2=\"" << num(spots[i].x)
          << "\" y2=\"" << num(spots[i].y) << "\" stroke=\"#888\" stroke-width=\"1\"/>\n";
  for (const auto& a : anchors)
    svg << "<circle cx=\"" << num(a.x) << "\" cy=\"" << num(a.y) << "\" r=\"2.5\" fill=\"#333\"/>\n";
  for (size_t i = 0; i < points.size(); ++i) {
    if (words)
      svg << "<rect x=\"" << num(spots[i].x - half_w[i]) << "\" y=\"" << num(spots[i].y - half_h) << "\" width=\""
          << num(2 * half_w[i]) << "\" height=\"" << num(2 * half_h) << "\" rx=\"" << half_h << "\" fill=\"" << points[i].color
          << "\" fill-opacity=\"0.9\" stroke=\"#444\"/>\n";
    else
      svg << "<circle cx=\"" << num(spots[i].x) << "\" cy=\"" << num(spots[i].y) << "\" r=\"" << r << "\" fill=\""
          << points[i].color << "\" fill-opacity=\"0.9\" stroke=\"#444\"/>\n";
    svg << "<text x=\"" << num(spots[i].x) << "\" y=\"" << num(spots[i].y + 5) << "\" font-size=\"14\" text-anchor=\"middle\">"
        << escaped(points[i].label) << "</text>\n";
  }
  double legend_y = kTop + 20;
  for (const auto& e : legend) {
    svg << "<circle cx=\"" << kLeft + 20 << "\" cy=\"" << legend_y - 5 << "\" r=\"7\" fill=\"" << e.color
        << "\" stroke=\"#444\"/>\n<text x=\"" << kLeft + 32 << "\" y=\"" << legend_y << "\" font-size=\"13\">"
        << escaped(e.name) << "</text>\n";
    legend_y += 20;
  }
  chart.save(path);
}

void write_lines_svg(const std::string& path, const std::string& title, const std::string& x_label,
                     const std::string& y_label, const std::vector<Series>& series) {
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const auto& s : series)
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      x0 = std::min(x0, s.x[i]); x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.y[i]); y1 = std::max(y1, s.y[i]);
    }
  // As in the scatter: the legend gets a band of its own at the top, right-aligned to its longest name.
  const double legend_band = 20.0 * static_cast<double>(series.size()) + 10;
  const double headroom = (y1 - y0) * legend_band / (kBottom - kTop - legend_band);
  size_t longest = 0;
  for (const auto& s : series) longest = std::max(longest, s.name.size());
  const double legend_x = std::max(kLeft + 10, kRight - 42 - 7.0 * static_cast<double>(longest));
  Chart chart(title, x_label, y_label, nice_range(x0, x1), padded_range(y0, y1 + headroom));
  double legend_y = kTop + 20;
  for (const auto& s : series) {
    chart.body() << "<polyline fill=\"none\" stroke=\"" << s.color << "\" stroke-width=\"2\" points=\"";
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i)
      chart.body() << num(chart.px(s.x[i])) << "," << num(chart.py(s.y[i])) << " ";
    chart.body() << "\"/>\n<line x1=\"" << legend_x << "\" y1=\"" << legend_y - 5 << "\" x2=\"" << legend_x + 25
                 << "\" y2=\"" << legend_y - 5 << "\" stroke=\"" << s.color << "\" stroke-width=\"3\"/>\n<text x=\""
                 << legend_x + 32 << "\" y=\"" << legend_y << "\" font-size=\"13\">" << escaped(s.name) << "</text>\n";
    legend_y += 20;
  }
  chart.save(path);
}

namespace {

// Diverging blue-white-red: t in [0, 1], 0.5 is white.
std::string diverging(double t) {
  t = std::clamp(t, 0.0, 1.0);
  const double blue[3] = {33, 102, 172}, red[3] = {178, 24, 43}, white = 247;
  const double* end = t < 0.5 ? blue : red;
  const double w = t < 0.5 ? (0.5 - t) * 2 : (t - 0.5) * 2;  // 0 at the middle, 1 at either end
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", static_cast<int>(white + w * (end[0] - white)),
                static_cast<int>(white + w * (end[1] - white)), static_cast<int>(white + w * (end[2] - white)));
  return buf;
}

}  // namespace

void write_heatmap_svg(const std::string& path, const std::string& title, const std::string& axis_label,
                       const std::vector<double>& values, int n, double lo, double hi, int tick_every) {
  if (n < 1 || values.size() != static_cast<size_t>(n) * static_cast<size_t>(n) || !(hi > lo) || tick_every < 1)
    throw std::invalid_argument("write_heatmap_svg: expected n >= 1, n * n values, lo < hi, tick_every >= 1; got n " +
                                std::to_string(n) + ", " + std::to_string(values.size()) + " values");
  constexpr double left = 90, top = 60, side = 420;  // the matrix square, pixels
  const double cell = side / n;
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << kHeight
      << "\" font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << kWidth / 2 << "\" y=\"30\" font-size=\"17\" text-anchor=\"middle\">" << escaped(title)
      << "</text>\n";
  for (int i = 0; i < n; ++i)  // row i at the top-down position i, column j left to right
    for (int j = 0; j < n; ++j)
      svg << "<rect x=\"" << num(left + j * cell) << "\" y=\"" << num(top + i * cell) << "\" width=\"" << num(cell + 0.3)
          << "\" height=\"" << num(cell + 0.3) << "\" fill=\""
          << diverging((values[static_cast<size_t>(i * n + j)] - lo) / (hi - lo)) << "\"/>\n";
  svg << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << side << "\" height=\"" << side
      << "\" fill=\"none\" stroke=\"black\"/>\n";
  for (int t = 0; t < n; t += tick_every) {
    const double at = (t + 0.5) * cell;
    svg << "<text x=\"" << num(left + at) << "\" y=\"" << top + side + 16 << "\" font-size=\"11\" text-anchor=\"middle\">"
        << t << "</text>\n<text x=\"" << left - 6 << "\" y=\"" << num(top + at + 4)
        << "\" font-size=\"11\" text-anchor=\"end\">" << t << "</text>\n";
  }
  svg << "<text x=\"" << left + side / 2 << "\" y=\"" << top + side + 40 << "\" font-size=\"14\" text-anchor=\"middle\">"
      << escaped(axis_label) << "</text>\n<text x=\"30\" y=\"" << top + side / 2
      << "\" font-size=\"14\" text-anchor=\"middle\" transform=\"rotate(-90 30 " << top + side / 2 << ")\">"
      << escaped(axis_label) << "</text>\n";
  constexpr double bar_x = 560, bar_w = 22, steps = 50;  // the colour bar: hi at the top, lo at the bottom
  for (int k = 0; k < steps; ++k)
    svg << "<rect x=\"" << bar_x << "\" y=\"" << num(top + k * side / steps) << "\" width=\"" << bar_w << "\" height=\""
        << num(side / steps + 0.3) << "\" fill=\"" << diverging(1.0 - (k + 0.5) / steps) << "\"/>\n";
  svg << "<rect x=\"" << bar_x << "\" y=\"" << top << "\" width=\"" << bar_w << "\" height=\"" << side
      << "\" fill=\"none\" stroke=\"black\"/>\n";
  for (int k = 0; k <= 4; ++k)
    svg << "<text x=\"" << bar_x + bar_w + 6 << "\" y=\"" << num(top + k * side / 4 + 4) << "\" font-size=\"12\">"
        << num(hi - k * (hi - lo) / 4) << "</text>\n";
  svg << "</svg>\n";
  std::ofstream out(path);
  out << svg.str();
  if (!out) throw std::runtime_error("cannot write '" + path + "' (does the --out folder exist?)");
}

}  // namespace tutorials
