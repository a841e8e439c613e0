#pragma once
// A line chart as a standalone SVG file (opens in any browser): several
// named series of (x, y) points on shared axes, with ticks, a legend and
// optional horizontal reference lines (an entropy floor, say).

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "tinylm/core/atomic_file.hpp"
#include "tinylm/core/config.hpp"

namespace tinylm::io {

struct Series {
  std::string name;
  std::vector<double> x, y;
  std::string color = "#1f77b4";
};

struct HLine {
  std::string name;
  double y;
  std::string color = "#7f7f7f";
};

/// Renders the chart and writes it to `path` atomically.
TINYLM_DECL void write_line_chart_svg(const std::string& path, const std::string& title, const std::string& xlabel,
                                      const std::string& ylabel, const std::vector<Series>& series,
                                      const std::vector<HLine>& hlines = {});

/// One heatmap of a grid: rows x cols values in [0, 1], row-major.
struct Heatmap {
  std::string title;
  int64_t rows = 0, cols = 0;
  std::vector<double> values;
};

/// A grid of heatmaps (e.g. attention weights, one per layer and head) with
/// the same tokens along both axes of each; written as SVG atomically.
TINYLM_DECL void write_heatmap_grid_svg(const std::string& path, const std::string& title,
                                        const std::vector<std::string>& row_labels,
                                        const std::vector<std::string>& col_labels, const std::vector<Heatmap>& maps,
                                        int columns);

}  // namespace tinylm::io

#if !defined(TINYLM_SEPARATE_COMPILATION)
#include "tinylm/io/impl/plot.ipp"
#endif
