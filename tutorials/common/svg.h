// Two small SVG charts for the lessons' pictures: labelled points (an embedding projected to 2-D) and
// line series (loss curves). Plain SVG 1.1 text, opens in any browser; throws if the file cannot be written.
#pragma once
#include <string>
#include <vector>

namespace tutorials {

struct LabelledPoint {
  double x, y;
  std::string label;
};

struct Series {
  std::string name;   // shown in the legend
  std::string color;  // any SVG colour: "#1f77b4", "crimson"
  std::vector<double> x, y;
};

void write_scatter_svg(const std::string& path, const std::string& title, const std::string& x_label,
                       const std::string& y_label, const std::vector<LabelledPoint>& points);

void write_lines_svg(const std::string& path, const std::string& title, const std::string& x_label,
                     const std::string& y_label, const std::vector<Series>& series);

}  // namespace tutorials
