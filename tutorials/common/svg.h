// Small SVG charts for the lessons' pictures: labelled points (an embedding projected to 2-D), line series
// (loss curves) and a heatmap (a similarity matrix). Plain SVG 1.1 text, opens in any browser; throws
// std::runtime_error if the file cannot be written.
#pragma once
#include <string>
#include <vector>

namespace tutorials {

struct LabelledPoint {
  double x, y;
  std::string label;
  std::string color = "#9ecae1";  // the label's disc
};

struct LegendEntry {
  std::string name, color;
};

struct Series {
  std::string name;   // shown in the legend
  std::string color;  // any SVG colour: "#1f77b4", "crimson"
  std::vector<double> x, y;
};

// Each point is a dot; its label sits in a disc on it, or, where discs would overlap, pushed aside with a
// thin line back to the dot (common/label_layout.h), so every label stays readable.
void write_scatter_svg(const std::string& path, const std::string& title, const std::string& x_label,
                       const std::string& y_label, const std::vector<LabelledPoint>& points,
                       const std::vector<LegendEntry>& legend = {});

void write_lines_svg(const std::string& path, const std::string& title, const std::string& x_label,
                     const std::string& y_label, const std::vector<Series>& series);

// values (n, n) row-major in [lo, hi], drawn as n x n cells from blue (lo) through white to red (hi), with
// a colour bar; axis ticks every tick_every rows/columns (row 0 at the top, as a matrix is printed).
void write_heatmap_svg(const std::string& path, const std::string& title, const std::string& axis_label,
                       const std::vector<double>& values, int n, double lo, double hi, int tick_every);

}  // namespace tutorials
