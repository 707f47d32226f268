// Placing round labels so that none covers another: each label starts on its point and is pushed away
// from the labels it overlaps until no two overlap; a label that had to move gets a leader line back to
// its point (drawn by the caller). Pixel coordinates in, pixel coordinates out.
#pragma once
#include <vector>

namespace tutorials {

struct Spot {
  double x, y;
};

// Centres for labels of radius r (pixels) anchored at the given points, kept inside [x0, x1] x [y0, y1].
// Any two results are at least 2r + gap apart, unless the box is too small to hold them all.
std::vector<Spot> place_labels(const std::vector<Spot>& anchors, double r, double gap, double x0, double x1,
                               double y0, double y1);

// The same for boxes: label i is half_w[i] wide on each side of its centre and half_h high on each; any two
// results are at least `gap` apart along x or y. An overlapping pair is pushed apart along the axis where
// the overlap is smaller (the shorter way out), half each.
std::vector<Spot> place_boxes(const std::vector<Spot>& anchors, const std::vector<double>& half_w, double half_h,
                              double gap, double x0, double x1, double y0, double y1);

}  // namespace tutorials
