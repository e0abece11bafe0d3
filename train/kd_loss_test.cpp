// Expected values come from a small numpy computation (reproduced in the
// comments), not from this code:
//   sm(z) = exp(z) / sum exp(z);  s = [[1,2,.5],[0,-1,1]];  t = [[2,1,0],[.5,.5,2]];  T = 2;  alpha = .7
//   p = sm(t/T);  kl_i = T^2 * sum p (log p - log sm(s/T))  -> [0.41851687, 0.0605797]
//   ce_0 = -log sm(s)[0,0] = 1.46436878
#include "kd_loss.h"

#include <gtest/gtest.h>

namespace {
torch::Tensor S() { return torch::tensor({1.0f, 2.0f, 0.5f, 0.0f, -1.0f, 1.0f}).view({2, 3}); }
torch::Tensor Tt() { return torch::tensor({2.0f, 1.0f, 0.0f, 0.5f, 0.5f, 2.0f}).view({2, 3}); }
}  // namespace

TEST(KdLoss, KlPlusCeWithAnUnlabelledRow) {
  zl::KdLossInput in;
  in.student_logits = S().requires_grad_(true);
  in.teacher_logits = {Tt()};
  in.labels = torch::tensor({0, -1}, torch::kLong);
  zl::KdLossOptions opt;
  opt.alpha = 0.7;
  opt.temperature = 2.0;
  auto v = zl::kd_loss(in, opt);
  // row0 = .7*0.41851687 + .3*1.46436878 ; row1 = 0.0605797 (teacher term only); mean -> 0.39642607
  EXPECT_NEAR(v.total.item<double>(), 0.39642607, 1e-6);
  EXPECT_NEAR(v.soft, (0.41851687 + 0.0605797) / 2, 1e-6);
  EXPECT_NEAR(v.hard, 1.46436878, 1e-6);  // averaged over the one labelled row, not over 2
  EXPECT_EQ(v.labelled_rows, 1);
  v.total.backward();
  EXPECT_TRUE(in.student_logits.grad().isfinite().all().item<bool>());
}

TEST(KdLoss, LabelSmoothing) {
  zl::KdLossInput in;
  in.student_logits = S();
  in.teacher_logits = {Tt()};
  in.labels = torch::tensor({0, 2}, torch::kLong);
  zl::KdLossOptions opt;
  opt.alpha = 0.7;
  opt.temperature = 2.0;
  opt.label_smoothing = 0.1;
  // ce_ls_i = .9 * (-log sm(s)[i,y_i]) + .1 * mean_k(-log sm(s)[i,k]) -> [1.44770212, 0.50760596]
  // total = mean(.7*kl_i + .3*ce_ls_i) = 0.46098001
  auto v = zl::kd_loss(in, opt);
  EXPECT_NEAR(v.total.item<double>(), 0.46098001, 1e-6);
  EXPECT_NEAR(v.hard, (1.44770212 + 0.50760596) / 2, 1e-6);
}

TEST(KdLoss, MseOnLogits) {
  zl::KdLossInput in;
  in.student_logits = S();
  in.teacher_logits = {Tt()};
  in.labels = torch::tensor({0, -1}, torch::kLong);
  zl::KdLossOptions opt;
  opt.alpha = 0.7;
  opt.temperature = 2.0;  // unused by mse
  opt.soft = zl::SoftLoss::kMSE;
  // mse_i = mean_k (s-t)^2 = [0.75, 1.16666667]; total = ((.7*.75 + .3*1.46436878) + 1.16666667)/2 = 1.06548865
  auto v = zl::kd_loss(in, opt);
  EXPECT_NEAR(v.total.item<double>(), 1.06548865, 1e-6);
}

TEST(KdLoss, MultiTeacherAveragesProbabilities) {
  zl::KdLossInput in;
  in.student_logits = S();
  in.teacher_logits = {Tt(), torch::tensor({0.0f, 0.0f, 3.0f, 1.0f, 0.0f, 0.0f}).view({2, 3})};
  in.teacher_weights = {3.0, 1.0};  // normalised to .75/.25
  in.labels = torch::tensor({-1, -1}, torch::kLong);
  zl::KdLossOptions opt;
  opt.alpha = 0.7;
  opt.temperature = 2.0;
  // p = .75 sm(t1/2) + .25 sm(t2/2); kl_i = 4 * sum p (log p - log sm(s/2)) = [0.37699809, 0.05223924]
  // no gold labels: total = mean kl = 0.21461867
  auto v = zl::kd_loss(in, opt);
  EXPECT_NEAR(v.total.item<double>(), 0.21461867, 1e-6);
  EXPECT_EQ(v.labelled_rows, 0);
  EXPECT_EQ(v.hard, 0.0);
}

TEST(KdLoss, HiddenGoldLabelsBecomeTransferRows) {
  zl::KdLossInput in;
  in.student_logits = S();
  in.teacher_logits = {Tt()};
  in.labels = torch::tensor({0, 2}, torch::kLong);
  in.labelled = torch::tensor({true, false});  // row 1's label is hidden by the gold-label share
  zl::KdLossOptions opt;
  opt.alpha = 0.7;
  opt.temperature = 2.0;
  auto v = zl::kd_loss(in, opt);
  EXPECT_NEAR(v.total.item<double>(), 0.39642607, 1e-6);  // same as the -1 case
}

TEST(KdLoss, MultiLabelBceAgainstTeacherSigmoid) {
  zl::KdLossInput in;
  in.student_logits = S();
  in.teacher_logits = {Tt()};
  in.labels = torch::tensor({1.0f, 0.0f, 1.0f, 0.0f, 0.0f, 1.0f}).view({2, 3});
  in.multi_label = true;
  zl::KdLossOptions opt;
  opt.alpha = 0.7;
  opt.temperature = 2.0;
  // soft_i = 4 * mean_k BCE(sig(s/2), sig(t/2)) = [2.66705263, 2.74248015]
  // hard_i = mean_k BCE(sig(s), y) = [0.97142223, 0.43989019]; total = mean(.7 soft + .3 hard) = 2.10503333
  auto v = zl::kd_loss(in, opt);
  EXPECT_NEAR(v.total.item<double>(), 2.10503333, 1e-5);
}

TEST(KdLoss, LinearSchedule) {
  EXPECT_DOUBLE_EQ(zl::linear_schedule(0.9, 0.5, 0, 5), 0.9);
  EXPECT_DOUBLE_EQ(zl::linear_schedule(0.9, 0.5, 2, 5), 0.7);
  EXPECT_DOUBLE_EQ(zl::linear_schedule(0.9, 0.5, 4, 5), 0.5);
  EXPECT_DOUBLE_EQ(zl::linear_schedule(0.9, 0.5, 99, 5), 0.5);
  EXPECT_DOUBLE_EQ(zl::linear_schedule(4.0, 4.0, 3, 5), 4.0);
}

TEST(KdLoss, HiddenMseThroughProjectionIgnoresPadding) {
  // hs = [[1,2],[0,1],[5,5]], ht = [[1,0,1],[2,1,0],[9,9,9]], third token padded;
  // W = [[1,0],[0,1],[1,1]], b = 0: proj = [[1,2,3],[0,1,1]]; diff^2 sum = 0+4+4+4+0+1 = 13; / (2 tokens * 3) = 2.1666667
  torch::nn::Linear proj(torch::nn::LinearOptions(2, 3));
  {
    torch::NoGradGuard g;
    proj->weight.copy_(torch::tensor({1.0f, 0.0f, 0.0f, 1.0f, 1.0f, 1.0f}).view({3, 2}));
    proj->bias.zero_();
  }
  auto hs = torch::tensor({1.0f, 2.0f, 0.0f, 1.0f, 5.0f, 5.0f}).view({1, 3, 2});
  auto ht = torch::tensor({1.0f, 0.0f, 1.0f, 2.0f, 1.0f, 0.0f, 9.0f, 9.0f, 9.0f}).view({1, 3, 3});
  auto mask = torch::tensor({1, 1, 0}, torch::kLong).view({1, 3});
  EXPECT_NEAR(zl::hidden_mse(hs, ht, proj, mask).item<double>(), 2.16666667, 1e-6);
}

TEST(KdLoss, AttentionKlOverKeysIgnoresPaddedQueries) {
  // query 0: KL([.5,.5,0] || [.25,.75,0]) = .5 ln 2 + .5 ln(2/3); query 1: KL([.9,.1,0] || [.5,.5,0]);
  // query 2 is padding. mean over the two queries = 0.25595262
  auto at = torch::tensor({0.5f, 0.5f, 0.0f, 0.9f, 0.1f, 0.0f, 0.3f, 0.3f, 0.4f}).view({1, 1, 3, 3});
  auto as = torch::tensor({0.25f, 0.75f, 0.0f, 0.5f, 0.5f, 0.0f, 1 / 3.f, 1 / 3.f, 1 / 3.f}).view({1, 1, 3, 3});
  auto mask = torch::tensor({1, 1, 0}, torch::kLong).view({1, 3});
  EXPECT_NEAR(zl::attention_kl(as, at, mask).item<double>(), 0.25595262, 1e-6);
  // Different head counts: averaged over heads first (two identical heads == one).
  EXPECT_NEAR(zl::attention_kl(as, torch::cat({at, at}, 1), mask).item<double>(), 0.25595262, 1e-6);
}

TEST(KdLoss, ZeroKlWhenStudentEqualsTeacher) {
  zl::KdLossInput in;
  in.student_logits = Tt();
  in.teacher_logits = {Tt()};
  in.labels = torch::tensor({-1, -1}, torch::kLong);
  zl::KdLossOptions opt;
  opt.temperature = 4.0;
  EXPECT_NEAR(zl::kd_loss(in, opt).total.item<double>(), 0.0, 1e-6);
}

TEST(KdLoss, SentenceMseAndCosineThroughProjection) {
  // s = [[1,2],[0,1]], W = [[1,0],[0,1],[1,1]], b = [0,0,1]: P s = [[1,2,4],[0,1,2]]; t = [[1,0,4],[2,1,0]]
  // mse = (0+4+0 + 4+0+4) / (2 rows * 3 dims) = 2
  // cosine: cos_0 = 17/sqrt(21*17) = 0.89973541, cos_1 = 1/5 = 0.2; mean(1 - cos) = 0.45013229
  torch::nn::Linear proj(torch::nn::LinearOptions(2, 3));
  {
    torch::NoGradGuard g;
    proj->weight.copy_(torch::tensor({1.0f, 0.0f, 0.0f, 1.0f, 1.0f, 1.0f}).view({3, 2}));
    proj->bias.copy_(torch::tensor({0.0f, 0.0f, 1.0f}));
  }
  auto s = torch::tensor({1.0f, 2.0f, 0.0f, 1.0f}).view({2, 2}).requires_grad_(true);
  auto t = torch::tensor({1.0f, 0.0f, 4.0f, 2.0f, 1.0f, 0.0f}).view({2, 3});
  auto mse = zl::sentence_loss(s, t, proj, zl::SentenceLoss::kMSE);
  EXPECT_NEAR(mse.item<double>(), 2.0, 1e-6);
  auto cos = zl::sentence_loss(s, t, proj, zl::SentenceLoss::kCosine);
  EXPECT_NEAR(cos.item<double>(), 0.45013229, 1e-6);
  // Both train the projection and the student, never the teacher.
  (mse + cos).backward();
  EXPECT_GT(proj->weight.grad().abs().sum().item<double>(), 0.0);
  EXPECT_GT(s.grad().abs().sum().item<double>(), 0.0);
  // Cosine ignores the scale of the teacher's vectors; MSE does not.
  EXPECT_NEAR(zl::sentence_loss(s, t * 3, proj, zl::SentenceLoss::kCosine).item<double>(), 0.45013229, 1e-6);
  EXPECT_GT(zl::sentence_loss(s, t * 3, proj, zl::SentenceLoss::kMSE).item<double>(), 2.5);
  EXPECT_EQ(zl::parse_sentence_loss("cosine", "x"), zl::SentenceLoss::kCosine);
  EXPECT_THROW(zl::parse_sentence_loss("l1", "x"), std::exception);
}

// kd_loss_terms gives the same values as kd_loss, left on the device.
TEST(KdLoss, TermsMatchTheSyncedValues) {
  zl::KdLossInput in;
  in.student_logits = S();
  in.teacher_logits = {Tt()};
  in.labels = torch::tensor({0, -1}, torch::kLong);
  zl::KdLossOptions opt;
  opt.alpha = 0.7;
  opt.temperature = 2.0;
  auto t = zl::kd_loss_terms(in, opt);
  EXPECT_NEAR(t.total.item<double>(), 0.39642607, 1e-6);
  EXPECT_NEAR(t.soft.item<double>(), (0.41851687 + 0.0605797) / 2, 1e-6);
  EXPECT_NEAR(t.hard.item<double>(), 1.46436878, 1e-6);
  EXPECT_EQ(t.labelled_rows.item<int64_t>(), 1);
  in.labels = torch::tensor({-1, -1}, torch::kLong);  // no labelled row: hard 0, not NaN
  EXPECT_EQ(zl::kd_loss_terms(in, opt).hard.item<double>(), 0.0);
}
