#pragma once
// The bodies of io/plot.hpp's functions: included by that header in a header-only
// build, compiled once into tinylm_compiled otherwise (core/config.hpp).

#include "tinylm/io/plot.hpp"

namespace tinylm::io::detail {

TINYLM_DECL std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

/// About n round tick values covering [lo, hi].
TINYLM_DECL std::vector<double> ticks(double lo, double hi, int n) {
  const double span = hi - lo;
  if (!(span > 0)) return {lo};
  const double raw = span / n, mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double step = raw / mag < 2 ? 2 * mag : raw / mag < 5 ? 5 * mag : 10 * mag;
  std::vector<double> t;
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) t.push_back(v);
  return t;
}

}  // namespace tinylm::io::detail

namespace tinylm::io {

TINYLM_DECL void write_line_chart_svg(const std::string& path, const std::string& title, const std::string& xlabel,
                                      const std::string& ylabel, const std::vector<Series>& series,
                                      const std::vector<HLine>& hlines) {
  const double W = 720, H = 440, left = 70, right = 20, top = 40, bottom = 55;
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (const auto& s : series)
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.y[i])) continue;
      x0 = std::min(x0, s.x[i]), x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.y[i]), y1 = std::max(y1, s.y[i]);
    }
  for (const auto& h : hlines) y0 = std::min(y0, h.y), y1 = std::max(y1, h.y);
  if (!std::isfinite(x0)) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) y1 = y0 + 1;
  const double pad = 0.05 * (y1 - y0);
  y0 -= pad, y1 += pad;
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * (W - left - right); };
  auto py = [&](double y) { return top + (y1 - y) / (y1 - y0) * (H - top - bottom); };

  std::string s;
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + detail::fmt(W) + "\" height=\"" + detail::fmt(H) +
       "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s += "<text x=\"" + detail::fmt(W / 2) + "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" + title + "</text>\n";
  for (double t : detail::ticks(x0, x1, 8)) {
    s += "<line x1=\"" + detail::fmt(px(t)) + "\" y1=\"" + detail::fmt(top) + "\" x2=\"" + detail::fmt(px(t)) +
         "\" y2=\"" + detail::fmt(H - bottom) + "\" stroke=\"#eee\"/>\n";
    s += "<text x=\"" + detail::fmt(px(t)) + "\" y=\"" + detail::fmt(H - bottom + 16) + "\" text-anchor=\"middle\">" +
         detail::fmt(t) + "</text>\n";
  }
  for (double t : detail::ticks(y0, y1, 6)) {
    s += "<line x1=\"" + detail::fmt(left) + "\" y1=\"" + detail::fmt(py(t)) + "\" x2=\"" + detail::fmt(W - right) +
         "\" y2=\"" + detail::fmt(py(t)) + "\" stroke=\"#eee\"/>\n";
    s += "<text x=\"" + detail::fmt(left - 6) + "\" y=\"" + detail::fmt(py(t) + 4) + "\" text-anchor=\"end\">" +
         detail::fmt(t) + "</text>\n";
  }
  s += "<rect x=\"" + detail::fmt(left) + "\" y=\"" + detail::fmt(top) + "\" width=\"" + detail::fmt(W - left - right) +
       "\" height=\"" + detail::fmt(H - top - bottom) + "\" fill=\"none\" stroke=\"#444\"/>\n";
  s += "<text x=\"" + detail::fmt((left + W - right) / 2) + "\" y=\"" + detail::fmt(H - 12) +
       "\" text-anchor=\"middle\">" + xlabel + "</text>\n";
  s += "<text transform=\"translate(16," + detail::fmt((top + H - bottom) / 2) +
       ") rotate(-90)\" text-anchor=\"middle\">" + ylabel + "</text>\n";
  for (const auto& h : hlines)
    s += "<line x1=\"" + detail::fmt(left) + "\" y1=\"" + detail::fmt(py(h.y)) + "\" x2=\"" + detail::fmt(W - right) +
         "\" y2=\"" + detail::fmt(py(h.y)) + "\" stroke=\"" + h.color + "\" stroke-dasharray=\"6,4\"/>\n";
  for (const auto& se : series) {
    std::string pts;
    for (std::size_t i = 0; i < se.x.size(); ++i)
      if (std::isfinite(se.y[i])) pts += detail::fmt(px(se.x[i])) + "," + detail::fmt(py(se.y[i])) + " ";
    s += "<polyline fill=\"none\" stroke=\"" + se.color + "\" stroke-width=\"1.8\" points=\"" + pts + "\"/>\n";
    if (se.x.size() <= 60)  // sparse series (evaluations): mark each point
      for (std::size_t i = 0; i < se.x.size(); ++i)
        if (std::isfinite(se.y[i]))
          s += "<circle cx=\"" + detail::fmt(px(se.x[i])) + "\" cy=\"" + detail::fmt(py(se.y[i])) +
               "\" r=\"3\" fill=\"" + se.color + "\"/>\n";
  }
  double ly = top + 16;
  auto legend = [&](const std::string& name, const std::string& color, bool dashed) {
    s += "<line x1=\"" + detail::fmt(W - right - 170) + "\" y1=\"" + detail::fmt(ly - 4) + "\" x2=\"" +
         detail::fmt(W - right - 145) + "\" y2=\"" + detail::fmt(ly - 4) + "\" stroke=\"" + color +
         "\" stroke-width=\"2\"" + (dashed ? " stroke-dasharray=\"6,4\"" : "") + "/>\n";
    s += "<text x=\"" + detail::fmt(W - right - 140) + "\" y=\"" + detail::fmt(ly) + "\">" + name + "</text>\n";
    ly += 18;
  };
  for (const auto& se : series) legend(se.name, se.color, false);
  for (const auto& h : hlines) legend(h.name, h.color, true);
  s += "</svg>\n";
  write_file_atomic(path, {s});
}

TINYLM_DECL void write_heatmap_grid_svg(const std::string& path, const std::string& title,
                                        const std::vector<std::string>& row_labels,
                                        const std::vector<std::string>& col_labels, const std::vector<Heatmap>& maps,
                                        int columns) {
  TINYLM_CHECK(columns > 0 && !maps.empty(), "write_heatmap_grid_svg: nothing to draw");
  const int64_t R = maps[0].rows, C = maps[0].cols;
  for (const auto& m : maps)
    TINYLM_CHECK(m.rows == R && m.cols == C && static_cast<int64_t>(m.values.size()) == R * C,
                 "write_heatmap_grid_svg: every map must be ", R, " x ", C);
  const double cell = 12, label = 14, pad = 18, title_h = 16;
  const double panel_w = label + C * cell + pad, panel_h = title_h + label + R * cell + pad;
  const int grid_rows = static_cast<int>((maps.size() + columns - 1) / columns);
  const double W = columns * panel_w + pad, H = 34 + grid_rows * panel_h;
  auto esc = [](const std::string& t) {
    std::string o;
    for (char c : t) {
      if (c == '<') o += "&lt;";
      else if (c == '>') o += "&gt;";
      else if (c == '&') o += "&amp;";
      else if (c == '"') o += "&quot;";
      else if (c == '\n') o += "\u21b5";
      else o += c;
    }
    return o;
  };
  std::string s =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + detail::fmt(W) + "\" height=\"" + detail::fmt(H) +
      "\" font-family=\"monospace\" font-size=\"9\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s += "<text x=\"" + detail::fmt(W / 2) +
       "\" y=\"20\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"14\">" + esc(title) + "</text>\n";
  for (std::size_t k = 0; k < maps.size(); ++k) {
    const double x0 = pad + static_cast<double>(k % columns) * panel_w,
                 y0 = 34 + static_cast<double>(k / columns) * panel_h;
    s += "<text x=\"" + detail::fmt(x0 + label) + "\" y=\"" + detail::fmt(y0 + 10) +
         "\" font-family=\"sans-serif\" font-size=\"11\">" + esc(maps[k].title) + "</text>\n";
    const double gx = x0 + label, gy = y0 + title_h + label;
    for (int64_t j = 0; j < C && j < static_cast<int64_t>(col_labels.size()); ++j)
      s += "<text x=\"" + detail::fmt(gx + j * cell + cell / 2) + "\" y=\"" + detail::fmt(gy - 3) +
           "\" text-anchor=\"middle\">" + esc(col_labels[j]) + "</text>\n";
    for (int64_t i = 0; i < R; ++i) {
      if (i < static_cast<int64_t>(row_labels.size()))
        s += "<text x=\"" + detail::fmt(gx - 3) + "\" y=\"" + detail::fmt(gy + i * cell + cell - 3) +
             "\" text-anchor=\"end\">" + esc(row_labels[i]) + "</text>\n";
      for (int64_t j = 0; j < C; ++j) {
        const double v = std::clamp(maps[k].values[i * C + j], 0.0, 1.0);
        const int shade = static_cast<int>(255 - 200 * v), blue = static_cast<int>(255 - 60 * v);
        char color[16];
        std::snprintf(color, sizeof color, "#%02x%02x%02x", shade, shade, blue);
        s += "<rect x=\"" + detail::fmt(gx + j * cell) + "\" y=\"" + detail::fmt(gy + i * cell) + "\" width=\"" +
             detail::fmt(cell) + "\" height=\"" + detail::fmt(cell) + "\" fill=\"" + color + "\"/>\n";
      }
    }
    s += "<rect x=\"" + detail::fmt(gx) + "\" y=\"" + detail::fmt(gy) + "\" width=\"" + detail::fmt(C * cell) +
         "\" height=\"" + detail::fmt(R * cell) + "\" fill=\"none\" stroke=\"#888\"/>\n";
  }
  s += "</svg>\n";
  write_file_atomic(path, {s});
}

}  // namespace tinylm::io
