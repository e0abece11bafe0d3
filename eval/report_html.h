// The report page for managers: one self-contained HTML file (inline CSS and
// SVG, no script, no network), bilingual summary at the top.
#pragma once

#include <string>

#include "report_builder.h"

namespace zl::report {

std::string report_html(const ReportData& data);

}  // namespace zl::report
