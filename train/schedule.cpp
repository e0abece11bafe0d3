// Learning-rate schedule: linear warmup from 0, then linear or cosine decay to
// min_lr_ratio (or constant). A pure function of the step, so resume needs no state.
#include <algorithm>
#include <cmath>

#include "trainer.h"

namespace zl {

double lr_factor(const TrainConfig& cfg, int64_t step, int64_t total_steps, int64_t warmup_steps) {
  // `step` is 0-based: the first optimizer step uses lr_factor(0) = 1/warmup.
  if (warmup_steps > 0 && step < warmup_steps) return static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  if (cfg.schedule == "constant") return 1.0;
  const double span = static_cast<double>(std::max<int64_t>(1, total_steps - warmup_steps));
  const double progress = std::clamp(static_cast<double>(step - warmup_steps) / span, 0.0, 1.0);
  const double m = cfg.min_lr_ratio;
  if (cfg.schedule == "cosine") return m + (1.0 - m) * 0.5 * (1.0 + std::cos(M_PI * progress));
  return m + (1.0 - m) * (1.0 - progress);
}

}  // namespace zl
