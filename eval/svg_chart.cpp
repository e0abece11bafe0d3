#include "svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace zl::report {

namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", v);
  return buf;
}

std::string default_label(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

// Tick step of 1, 2 or 5 x 10^k giving about `target` intervals.
double nice_step(double range, int target) {
  double raw = range / target;
  double mag = std::pow(10, std::floor(std::log10(raw)));
  double f = raw / mag;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

}  // namespace

double text_width(const std::string& s, int font_size) {
  // UTF-8: a lead byte >= 0xE0 starts a 3- or 4-byte (CJK, full-width) character, about
  // one em wide; other characters about 0.58 em.
  double w = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    w += (c >= 0xE0 ? 1.0 : 0.58) * font_size;
  }
  return w;
}

std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

Axis linear_axis(std::vector<double> values, std::string title, double pad_fraction) {
  Axis a;
  a.title = std::move(title);
  auto [mn, mx] = std::minmax_element(values.begin(), values.end());
  double lo = values.empty() ? 0 : *mn, hi = values.empty() ? 1 : *mx;
  double span = hi - lo;
  if (span <= 0) span = std::max(std::fabs(hi), 1e-3) * 0.1;
  a.lo = lo - span * pad_fraction;
  a.hi = hi + span * pad_fraction;
  return a;
}

Axis log_axis(std::vector<double> values, std::string title) {
  Axis a;
  a.title = std::move(title);
  a.log = true;
  auto [mn, mx] = std::minmax_element(values.begin(), values.end());
  double lo = values.empty() ? 1 : *mn, hi = values.empty() ? 10 : *mx;
  a.lo = lo / 1.6;
  a.hi = hi * 1.6;
  return a;
}

SvgChart::SvgChart(int width, int height, Axis x, Axis y, std::string css_class, std::string title)
    : width_(width), height_(height), x_(std::move(x)), y_(std::move(y)), css_class_(std::move(css_class)),
      title_(std::move(title)) {}

static double map_axis(const Axis& a, double v, double p0, double p1) {
  double t = a.log ? (std::log10(v) - std::log10(a.lo)) / (std::log10(a.hi) - std::log10(a.lo))
                   : (v - a.lo) / (a.hi - a.lo);
  return p0 + t * (p1 - p0);
}

double SvgChart::px(double x) const { return map_axis(x_, x, plot_left(), plot_right()); }
double SvgChart::py(double y) const { return map_axis(y_, y, plot_bottom(), plot_top()); }

static std::vector<double> ticks_of(const Axis& a) {
  std::vector<double> t;
  if (!a.categories.empty()) {
    for (size_t i = 0; i < a.categories.size(); ++i) t.push_back(i + 0.5);
  } else if (a.log) {
    for (int e = static_cast<int>(std::floor(std::log10(a.lo))); e <= static_cast<int>(std::ceil(std::log10(a.hi)));
         ++e)
      for (double m : {1.0, 2.0, 5.0}) {
        double v = m * std::pow(10, e);
        if (v >= a.lo && v <= a.hi) t.push_back(v);
      }
  } else {
    double step = nice_step(a.hi - a.lo, 5);
    for (double v = std::ceil(a.lo / step) * step; v <= a.hi + step * 1e-9; v += step) t.push_back(v);
  }
  return t;
}

void SvgChart::axes() {
  std::ostringstream s;
  s << "<rect class=\"frame\" x=\"" << num(plot_left()) << "\" y=\"" << num(plot_top()) << "\" width=\""
    << num(plot_right() - plot_left()) << "\" height=\"" << num(plot_bottom() - plot_top())
    << "\" fill=\"#fcfcfd\" stroke=\"#c8ccd2\"/>";
  for (double v : ticks_of(x_)) {
    double p = px(v);
    std::string label = !x_.categories.empty() ? x_.categories[static_cast<size_t>(v)]
                        : x_.label                ? x_.label(v)
                                                  : default_label(v);
    if (x_.categories.empty())
      s << "<line x1=\"" << num(p) << "\" y1=\"" << num(plot_top()) << "\" x2=\"" << num(p) << "\" y2=\""
        << num(plot_bottom()) << "\" stroke=\"#e3e6ea\"/>";
    s << "<text x=\"" << num(p) << "\" y=\"" << num(plot_bottom() + 17) << "\" text-anchor=\"middle\" font-size=\"11\" fill=\"#444\">"
      << html_escape(label) << "</text>";
  }
  for (double v : ticks_of(y_)) {
    double p = py(v);
    std::string label = !y_.categories.empty() ? y_.categories[static_cast<size_t>(v)]
                        : y_.label                ? y_.label(v)
                                                  : default_label(v);
    if (y_.categories.empty())
      s << "<line x1=\"" << num(plot_left()) << "\" y1=\"" << num(p) << "\" x2=\"" << num(plot_right()) << "\" y2=\""
        << num(p) << "\" stroke=\"#e3e6ea\"/>";
    s << "<text x=\"" << num(plot_left() - 8) << "\" y=\"" << num(p + 4)
      << "\" text-anchor=\"end\" font-size=\"11\" fill=\"#444\">" << html_escape(label) << "</text>";
  }
  s << "<text x=\"" << num((plot_left() + plot_right()) / 2) << "\" y=\"" << num(height_ - 12)
    << "\" text-anchor=\"middle\" font-size=\"12\" fill=\"#222\">" << html_escape(x_.title) << "</text>";
  s << "<text transform=\"translate(16," << num((plot_top() + plot_bottom()) / 2)
    << ") rotate(-90)\" text-anchor=\"middle\" font-size=\"12\" fill=\"#222\">" << html_escape(y_.title) << "</text>";
  body_ = s.str() + body_;
}

static std::string shape_svg(const std::string& shape, double cx, double cy, double r, const std::string& fill,
                             const std::string& stroke, double sw) {
  std::ostringstream s;
  std::string style = "fill=\"" + fill + "\" stroke=\"" + stroke + "\" stroke-width=\"" + num(sw) + "\"";
  if (shape == "square") {
    s << "<rect x=\"" << num(cx - r) << "\" y=\"" << num(cy - r) << "\" width=\"" << num(2 * r) << "\" height=\""
      << num(2 * r) << "\" " << style << "/>";
  } else if (shape == "triangle") {
    s << "<path d=\"M" << num(cx) << " " << num(cy - r * 1.2) << " L" << num(cx + r * 1.1) << " " << num(cy + r * 0.8)
      << " L" << num(cx - r * 1.1) << " " << num(cy + r * 0.8) << " Z\" " << style << "/>";
  } else if (shape == "diamond") {
    s << "<path d=\"M" << num(cx) << " " << num(cy - r * 1.3) << " L" << num(cx + r * 1.3) << " " << num(cy) << " L"
      << num(cx) << " " << num(cy + r * 1.3) << " L" << num(cx - r * 1.3) << " " << num(cy) << " Z\" " << style << "/>";
  } else {
    s << "<circle cx=\"" << num(cx) << "\" cy=\"" << num(cy) << "\" r=\"" << num(r) << "\" " << style << "/>";
  }
  return s.str();
}

void SvgChart::marker(const std::string& shape, double x, double y, double r, const std::string& fill,
                      const std::string& stroke, const std::string& title, double stroke_width) {
  body_ += "<g class=\"point\"><title>" + html_escape(title) + "</title>" +
           shape_svg(shape, px(x), py(y), r, fill, stroke, stroke_width) + "</g>";
}

void SvgChart::line(double x1, double y1, double x2, double y2, const std::string& stroke, double width,
                    const std::string& dash) {
  body_ += "<line x1=\"" + num(px(x1)) + "\" y1=\"" + num(py(y1)) + "\" x2=\"" + num(px(x2)) + "\" y2=\"" +
           num(py(y2)) + "\" stroke=\"" + stroke + "\" stroke-width=\"" + num(width) + "\"" +
           (dash.empty() ? "" : " stroke-dasharray=\"" + dash + "\"") + "/>";
}

void SvgChart::polyline(const std::vector<std::pair<double, double>>& pts, const std::string& stroke, double width,
                        const std::string& dash) {
  if (pts.empty()) return;
  std::string d;
  for (size_t i = 0; i < pts.size(); ++i)
    d += (i ? " L" : "M") + num(px(pts[i].first)) + " " + num(py(pts[i].second));
  body_ += "<path d=\"" + d + "\" fill=\"none\" stroke=\"" + stroke + "\" stroke-width=\"" + num(width) + "\"" +
           (dash.empty() ? "" : " stroke-dasharray=\"" + dash + "\"") + " stroke-linejoin=\"round\"/>";
}

void SvgChart::text(double x, double y, const std::string& s, const std::string& anchor, double dx, double dy, int size,
                    const std::string& color, const std::string& weight) {
  body_ += "<text x=\"" + num(px(x) + dx) + "\" y=\"" + num(py(y) + dy) + "\" text-anchor=\"" + anchor +
           "\" font-size=\"" + std::to_string(size) + "\" fill=\"" + color + "\" font-weight=\"" + weight + "\">" +
           html_escape(s) + "</text>";
}

void SvgChart::error_bar(double x, double lo, double hi, const std::string& stroke, double cap_px) {
  double X = px(x), y0 = py(lo), y1 = py(hi);
  body_ += "<path d=\"M" + num(X) + " " + num(y0) + " L" + num(X) + " " + num(y1) + " M" + num(X - cap_px) + " " +
           num(y0) + " L" + num(X + cap_px) + " " + num(y0) + " M" + num(X - cap_px) + " " + num(y1) + " L" +
           num(X + cap_px) + " " + num(y1) + "\" stroke=\"" + stroke + "\" stroke-width=\"1.5\" fill=\"none\"/>";
}

void SvgChart::rect(double x0, double y0, double x1, double y1, const std::string& fill, const std::string& title) {
  double X0 = std::min(px(x0), px(x1)), X1 = std::max(px(x0), px(x1));
  double Y0 = std::min(py(y0), py(y1)), Y1 = std::max(py(y0), py(y1));
  body_ += "<rect x=\"" + num(X0) + "\" y=\"" + num(Y0) + "\" width=\"" + num(X1 - X0) + "\" height=\"" +
           num(Y1 - Y0) + "\" fill=\"" + fill + "\"><title>" + html_escape(title) + "</title></rect>";
}

void SvgChart::legend(const std::vector<LegendItem>& items, double x, double y) {
  std::ostringstream s;
  double w = 0;
  for (const auto& it : items) w = std::max(w, 38 + text_width(it.label, 11));
  s << "<g class=\"legend\"><rect x=\"" << num(x) << "\" y=\"" << num(y) << "\" width=\"" << num(w) << "\" height=\""
    << num(8 + 18.0 * items.size()) << "\" fill=\"#ffffff\" fill-opacity=\"0.92\" stroke=\"#d0d4da\" rx=\"4\"/>";
  for (size_t i = 0; i < items.size(); ++i) {
    const auto& it = items[i];
    double cy = y + 14 + 18.0 * i;
    if (it.shape == "line")
      s << "<line x1=\"" << num(x + 6) << "\" y1=\"" << num(cy) << "\" x2=\"" << num(x + 24) << "\" y2=\"" << num(cy)
        << "\" stroke=\"" << it.stroke << "\" stroke-width=\"2\""
        << (it.dash.empty() ? "" : " stroke-dasharray=\"" + it.dash + "\"") << "/>";
    else
      s << shape_svg(it.shape, x + 15, cy, 5, it.fill, it.stroke, 1.5);
    s << "<text x=\"" << num(x + 30) << "\" y=\"" << num(cy + 4) << "\" font-size=\"11\" fill=\"#333\">"
      << html_escape(it.label) << "</text>";
  }
  s << "</g>";
  body_ += s.str();
}

std::string SvgChart::str() const {
  std::ostringstream s;
  s << "<svg class=\"chart " << css_class_ << "\" width=\"" << width_
    << "\" height=\"" << height_ << "\" viewBox=\"0 0 " << width_ << " " << height_ << "\" role=\"img\" aria-label=\""
    << html_escape(title_) << "\"><title>" << html_escape(title_) << "</title>" << body_ << "</svg>";
  return s.str();
}

}  // namespace zl::report
