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

}  // namespace tutorials
