// The SVG charts: a fixed 720x540 canvas, a plot frame with "nice" ticks (1, 2 or 5 times a power of
// ten), data mapped linearly into the frame.
#include "svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

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
      svg_ << "<line x1=\"" << px(t) << "\" y1=\"" << kTop << "\" x2=\"" << px(t) << "\" y2=\"" << kBottom
           << "\" stroke=\"#e5e5e5\"/>\n<text x=\"" << px(t) << "\" y=\"" << kBottom + 18
           << "\" font-size=\"12\" text-anchor=\"middle\">" << num(t) << "</text>\n";
    }
    for (double t = yr.lo; t <= yr.hi + yr.step / 2; t += yr.step) {
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
                       const std::string& y_label, const std::vector<LabelledPoint>& points) {
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const auto& p : points) {
    x0 = std::min(x0, p.x); x1 = std::max(x1, p.x);
    y0 = std::min(y0, p.y); y1 = std::max(y1, p.y);
  }
  Chart chart(title, x_label, y_label, padded_range(x0, x1), padded_range(y0, y1));
  for (const auto& p : points) {
    chart.body() << "<circle cx=\"" << chart.px(p.x) << "\" cy=\"" << chart.py(p.y)
                 << "\" r=\"11\" fill=\"#9ecae1\" stroke=\"#3182bd\"/>\n<text x=\"" << chart.px(p.x) << "\" y=\""
                 << chart.py(p.y) + 5 << "\" font-size=\"14\" text-anchor=\"middle\">" << escaped(p.label)
                 << "</text>\n";
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
  Chart chart(title, x_label, y_label, nice_range(x0, x1), padded_range(y0, y1));
  double legend_y = kTop + 20;
  for (const auto& s : series) {
    chart.body() << "<polyline fill=\"none\" stroke=\"" << s.color << "\" stroke-width=\"2\" points=\"";
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i)
      chart.body() << num(chart.px(s.x[i])) << "," << num(chart.py(s.y[i])) << " ";
    chart.body() << "\"/>\n<line x1=\"" << kRight - 150 << "\" y1=\"" << legend_y - 5 << "\" x2=\"" << kRight - 125
                 << "\" y2=\"" << legend_y - 5 << "\" stroke=\"" << s.color << "\" stroke-width=\"3\"/>\n<text x=\""
                 << kRight - 118 << "\" y=\"" << legend_y << "\" font-size=\"13\">" << escaped(s.name) << "</text>\n";
    legend_y += 20;
  }
  chart.save(path);
}

}  // namespace tutorials
