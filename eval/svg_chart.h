// Inline SVG charts for the report: no JavaScript, no external files, so the page
// renders the same offline in any browser. Data coordinates are mapped to pixels
// by two axes (linear, log10, or categories).
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace zl::report {

std::string html_escape(const std::string& s);
// Approximate rendered width in pixels (no font metrics in C++; CJK counted as one em).
double text_width(const std::string& s, int font_size);

struct Axis {
  double lo = 0, hi = 1;
  bool log = false;
  std::string title;
  std::vector<std::string> categories;  // category axis: slot i spans [i, i+1]
  std::function<std::string(double)> label;  // tick label; default: %g
};

// Padded ranges that include every value.
Axis linear_axis(std::vector<double> values, std::string title, double pad_fraction = 0.08);
Axis log_axis(std::vector<double> values, std::string title);

class SvgChart {
 public:
  SvgChart(int width, int height, Axis x, Axis y, std::string css_class, std::string title);

  int left = 72, right = 24, top = 28, bottom = 56;  // plot margins in pixels

  double px(double x) const;
  double py(double y) const;
  double plot_left() const { return left; }
  double plot_right() const { return width_ - right; }
  double plot_top() const { return top; }
  double plot_bottom() const { return height_ - bottom; }

  void axes();  // frame, grid, ticks and axis titles
  // Markers at data coordinates; `title` becomes a hover tooltip.
  void marker(const std::string& shape, double x, double y, double r, const std::string& fill,
              const std::string& stroke, const std::string& title, double stroke_width = 1.5);
  void line(double x1, double y1, double x2, double y2, const std::string& stroke, double width = 1.5,
            const std::string& dash = "");
  void polyline(const std::vector<std::pair<double, double>>& pts, const std::string& stroke, double width = 2,
                const std::string& dash = "");
  void text(double x, double y, const std::string& s, const std::string& anchor = "start", double dx = 0,
            double dy = 0, int size = 12, const std::string& color = "#333", const std::string& weight = "normal");
  // Vertical error bar from lo to hi at x (data coordinates), with caps.
  void error_bar(double x, double lo, double hi, const std::string& stroke, double cap_px = 5);
  // Rectangle in data coordinates.
  void rect(double x0, double y0, double x1, double y1, const std::string& fill, const std::string& title);
  // Legend rows (shape, fill, stroke, dash for a line sample, label), drawn at pixel (x, y).
  struct LegendItem {
    std::string shape;  // circle | square | triangle | diamond | line
    std::string fill, stroke, dash, label;
  };
  void legend(const std::vector<LegendItem>& items, double x, double y);
  void raw(const std::string& svg) { body_ += svg; }

  std::string str() const;

 private:
  int width_, height_;
  Axis x_, y_;
  std::string css_class_, title_;
  std::string body_;
};

}  // namespace zl::report
