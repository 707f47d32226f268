// Overlap removal by repeated pairwise pushes: each pass moves every overlapping pair apart along the
// line between them, half the overlap each, so a label moves no further than it must and stays near
// what it names. The loop ends on a pass that finds no overlap; with 27 letters that takes a few dozen
// passes, and the pass limit only guards against a box too small for all labels.
#include "label_layout.h"

#include <algorithm>
#include <cmath>

namespace tutorials {

std::vector<Spot> place_labels(const std::vector<Spot>& anchors, double r, double gap, double x0, double x1,
                               double y0, double y1) {
  std::vector<Spot> at = anchors;
  const double need = 2 * r + gap;  // the closest two centres may be
  const size_t n = at.size();
  for (int pass = 0; pass < 2000; ++pass) {
    for (auto& s : at) {  // inside the box (a push may have moved a label out; the pairs are checked next)
      s.x = std::clamp(s.x, x0 + r, x1 - r);
      s.y = std::clamp(s.y, y0 + r, y1 - r);
    }
    bool moved = false;
    for (size_t i = 0; i < n; ++i)
      for (size_t j = i + 1; j < n; ++j) {
        double dx = at[j].x - at[i].x, dy = at[j].y - at[i].y;
        double d = std::hypot(dx, dy);
        if (d >= need) continue;
        if (d < 1e-9) {  // on top of each other: split them along a direction fixed by the pair
          const double angle = 2.399963 * static_cast<double>(i + j);  // the golden angle, so pairs differ
          dx = std::cos(angle);
          dy = std::sin(angle);
          d = 1.0;
        }
        const double push = (need - std::min(d, need)) / 2 + 0.01;  // a hair more, so the pair clears
        at[i].x -= dx / d * push; at[i].y -= dy / d * push;
        at[j].x += dx / d * push; at[j].y += dy / d * push;
        moved = true;
      }
    if (!moved) break;
  }
  return at;
}

std::vector<Spot> place_boxes(const std::vector<Spot>& anchors, const std::vector<double>& half_w, double half_h,
                              double gap, double x0, double x1, double y0, double y1) {
  std::vector<Spot> at = anchors;
  const size_t n = at.size();
  for (int pass = 0; pass < 4000; ++pass) {
    for (size_t i = 0; i < n; ++i) {  // inside the box
      at[i].x = std::clamp(at[i].x, x0 + half_w[i], std::max(x0 + half_w[i], x1 - half_w[i]));
      at[i].y = std::clamp(at[i].y, y0 + half_h, y1 - half_h);
    }
    bool moved = false;
    for (size_t i = 0; i < n; ++i)
      for (size_t j = i + 1; j < n; ++j) {
        const double dx = at[j].x - at[i].x, dy = at[j].y - at[i].y;
        const double ox = half_w[i] + half_w[j] + gap - std::fabs(dx), oy = 2 * half_h + gap - std::fabs(dy);
        if (ox <= 0 || oy <= 0) continue;
        // along the shorter way out; a pair on the same spot splits by index, so pairs differ
        const double sx = dx != 0 ? (dx > 0 ? 1 : -1) : ((i + j) % 2 ? 1 : -1);
        const double sy = dy != 0 ? (dy > 0 ? 1 : -1) : ((i + j) % 2 ? -1 : 1);
        if (ox < oy) {
          at[i].x -= sx * (ox / 2 + 0.01);
          at[j].x += sx * (ox / 2 + 0.01);
        } else {
          at[i].y -= sy * (oy / 2 + 0.01);
          at[j].y += sy * (oy / 2 + 0.01);
        }
        moved = true;
      }
    if (!moved) break;
  }
  return at;
}

}  // namespace tutorials
