//===- SamplerTest.cpp - Samplers and their distributions ---------------===//
//
// Each sampling step checked against its definition on hand-made logits, and
// the full chain's empirical distribution against the expected one.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/Sampler.h"

#include "gtest/gtest.h"

#include <cmath>
#include <map>

using namespace llamart;

namespace {

std::vector<Candidate> cands(std::vector<float> logits) {
  std::vector<Candidate> c;
  for (size_t i = 0; i < logits.size(); ++i)
    c.push_back({static_cast<int32_t>(i), logits[i], 0});
  return c;
}

std::vector<int32_t> ids(const std::vector<Candidate> &c) {
  std::vector<int32_t> r;
  for (const Candidate &x : c)
    r.push_back(x.id);
  return r;
}

TEST(Sampler, TopKKeepsTheKLargest) {
  auto c = cands({1, 5, 3, 4, 2});
  Sampler::topK(c, 2);
  EXPECT_EQ(ids(c), (std::vector<int32_t>{1, 3}));
  auto all = cands({1, 2});
  Sampler::topK(all, 0); // off
  EXPECT_EQ(all.size(), 2u);
}

TEST(Sampler, TopPKeepsTheSmallestSetReachingP) {
  // softmax(log p) = p for p = 0.5, 0.3, 0.2.
  auto c = cands({std::log(0.5f), std::log(0.2f), std::log(0.3f)});
  Sampler::topP(c, 0.75f);
  EXPECT_EQ(ids(c), (std::vector<int32_t>{0, 2})); // 0.5 + 0.3 >= 0.75
  auto d = cands({std::log(0.5f), std::log(0.2f), std::log(0.3f)});
  Sampler::topP(d, 0.5f);
  EXPECT_EQ(ids(d), (std::vector<int32_t>{0}));
}

TEST(Sampler, MinPKeepsTokensAboveAFractionOfTheBest) {
  auto c =
      cands({std::log(0.6f), std::log(0.25f), std::log(0.1f), std::log(0.05f)});
  Sampler::minP(c, 0.2f); // threshold 0.12
  EXPECT_EQ(ids(c), (std::vector<int32_t>{0, 1}));
}

TEST(Sampler, RepetitionPenaltyDividesPositiveAndMultipliesNegative) {
  SamplerParams p;
  p.repeatPenalty = 2.0f;
  Sampler s(p, 1);
  s.accept(0);
  s.accept(1);
  auto c = cands({4.0f, -1.0f, 3.0f});
  s.applyRepeatPenalty(c);
  EXPECT_FLOAT_EQ(c[0].logit, 2.0f);
  EXPECT_FLOAT_EQ(c[1].logit, -2.0f);
  EXPECT_FLOAT_EQ(c[2].logit, 3.0f);
}

TEST(Sampler, RepetitionWindowIsRepeatLastN) {
  SamplerParams p;
  p.repeatPenalty = 2.0f;
  p.repeatLastN = 1;
  Sampler s(p, 1);
  s.accept(0);
  s.accept(1); // 0 falls out of the window
  auto c = cands({4.0f, 4.0f});
  s.applyRepeatPenalty(c);
  EXPECT_FLOAT_EQ(c[0].logit, 4.0f);
  EXPECT_FLOAT_EQ(c[1].logit, 2.0f);
}

TEST(Sampler, GreedyAtTemperatureZero) {
  SamplerParams p;
  p.temp = 0.0f;
  Sampler s(p, 1);
  float logits[] = {0.1f, 3.0f, 2.9f};
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(s.sample(logits, 3), 1);
}

TEST(Sampler, DrawFollowsTheTemperedSoftmax) {
  // logits log(0.5), log(0.3), log(0.2) at temperature 1, no truncation:
  // the empirical frequencies must match within 4 standard errors.
  SamplerParams p;
  p.temp = 1.0f;
  p.topK = 0;
  p.topP = 1.0f;
  p.minP = 0.0f;
  Sampler s(p, 1234);
  float logits[] = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};
  const int n = 20000;
  std::map<int, int> count;
  for (int i = 0; i < n; ++i)
    count[s.sample(logits, 3)]++;
  const double want[] = {0.5, 0.3, 0.2};
  for (int t = 0; t < 3; ++t) {
    double f = double(count[t]) / n,
           se = std::sqrt(want[t] * (1 - want[t]) / n);
    EXPECT_NEAR(f, want[t], 4 * se) << "token " << t;
  }
  // Temperature 0.5 squares the probabilities (renormalised).
  p.temp = 0.5f;
  Sampler s2(p, 99);
  count.clear();
  for (int i = 0; i < n; ++i)
    count[s2.sample(logits, 3)]++;
  double z = 0.25 + 0.09 + 0.04;
  EXPECT_NEAR(double(count[0]) / n, 0.25 / z, 4 * std::sqrt(0.66 * 0.34 / n));
}

TEST(Sampler, TheDefaultChainNeverPicksTruncatedTokens) {
  SamplerParams
      p; // llama.cpp defaults: temp 0.8, top-k 40, top-p 0.95, min-p 0.05
  Sampler s(p, 7);
  std::vector<float> logits(100, -10.0f);
  logits[3] = 5.0f;
  logits[4] = 4.5f;
  logits[5] = 0.0f; // p/p_max = e^-5 / ... < 0.05: cut by min-p
  for (int i = 0; i < 2000; ++i) {
    int t = s.sample(logits.data(), 100);
    EXPECT_TRUE(t == 3 || t == 4) << t;
  }
}

TEST(Sampler, SameSeedSameTokens) {
  SamplerParams p;
  std::vector<float> logits(50);
  for (int i = 0; i < 50; ++i)
    logits[i] = std::sin(i * 1.7f);
  Sampler a(p, 42), b(p, 42), c(p, 43);
  std::vector<int> ra, rb, rc;
  for (int i = 0; i < 200; ++i) {
    ra.push_back(a.sample(logits.data(), 50));
    rb.push_back(b.sample(logits.data(), 50));
    rc.push_back(c.sample(logits.data(), 50));
  }
  EXPECT_EQ(ra, rb);
  EXPECT_NE(ra, rc);
}

/// Pearson's chi-square statistic of `count` (n draws) against `want`.
double chiSquare(const std::map<int, int> &count,
                 const std::vector<double> &want, int n) {
  double x2 = 0;
  for (size_t t = 0; t < want.size(); ++t) {
    auto it = count.find(static_cast<int>(t));
    double got = it == count.end() ? 0 : it->second, e = want[t] * n;
    if (e > 0)
      x2 += (got - e) * (got - e) / e;
  }
  return x2;
}

TEST(Sampler, TheWholeChainDrawsTheIntendedDistribution) {
  // Eight logits through top-k 6, top-p 0.9, min-p 0.1 and temperature 0.7,
  // the expected probabilities computed here from llama.cpp's definitions:
  // top-k keeps the 6 largest; top-p keeps the smallest prefix (by softmax
  // at temperature 1) whose mass reaches 0.9; min-p keeps tokens whose
  // probability is at least 0.1 of the best's; the survivors' logits / 0.7
  // are renormalised.
  std::vector<float> logits = {1.0f, 3.0f, -2.0f, 2.5f,
                               0.5f, 2.0f, -1.0f, 1.5f};
  SamplerParams p;
  p.temp = 0.7f;
  p.topK = 6;
  p.topP = 0.9f;
  p.minP = 0.1f;
  p.repeatPenalty = 1.0f;
  // After top-k, sorted: 1 (3.0), 3 (2.5), 5 (2.0), 7 (1.5), 0 (1.0),
  // 4 (0.5). Their softmax masses accumulate to 0.414, 0.665, 0.817, 0.910:
  // top-p 0.9 keeps 1, 3, 5, 7. min-p keeps them all (the smallest ratio to
  // the best is exp(1.5 - 3.0) = 0.22 >= 0.1).
  std::vector<int> order = {1, 3, 5, 7, 0, 4};
  double z = 0;
  for (int t : order)
    z += std::exp(double(logits[t]));
  double cum = 0;
  size_t keep = order.size();
  for (size_t i = 0; i < order.size(); ++i) {
    cum += std::exp(double(logits[order[i]])) / z;
    if (cum >= 0.9) {
      keep = i + 1;
      break;
    }
  }
  ASSERT_EQ(keep, 4u);
  std::vector<int> kept(order.begin(), order.begin() + keep);
  for (int t : kept)
    ASSERT_GE(std::exp(double(logits[t] - logits[1])), 0.1);
  std::vector<double> want(logits.size(), 0.0);
  double zt = 0;
  for (int t : kept)
    zt += std::exp(double(logits[t]) / 0.7);
  for (int t : kept)
    want[t] = std::exp(double(logits[t]) / 0.7) / zt;

  Sampler s(p, 2024);
  const int n = 40000;
  std::map<int, int> count;
  for (int i = 0; i < n; ++i)
    count[s.sample(logits.data(), static_cast<int32_t>(logits.size()))]++;
  for (int t : {0, 2, 4, 6}) // truncated by top-k or top-p: never drawn
    EXPECT_EQ(count[t], 0) << "token " << t;
  // 3 degrees of freedom (4 outcomes): P(chi2 > 16.27) = 0.001.
  EXPECT_LT(chiSquare(count, want, n), 16.27);
}

TEST(Sampler, MinPCutsWhatTheOtherStepsKeep) {
  // Only min-p truncates here (top-k and top-p off): with min-p 0.5, tokens
  // whose probability is under half the best's are never drawn, and the
  // rest keep their tempered proportions.
  std::vector<float> logits = {2.0f, 1.5f, 0.0f, 1.9f};
  SamplerParams p;
  p.temp = 1.0f;
  p.topK = 0;
  p.topP = 1.0f;
  p.minP = 0.5f;
  p.repeatPenalty = 1.0f;
  // exp(l - 2): 1, 0.607, 0.135, 0.905: min-p 0.5 keeps 0, 1, 3.
  std::vector<double> want = {1.0, std::exp(-0.5), 0.0, std::exp(-0.1)};
  double z = want[0] + want[1] + want[3];
  for (double &w : want)
    w /= z;
  Sampler s(p, 77);
  const int n = 30000;
  std::map<int, int> count;
  for (int i = 0; i < n; ++i)
    count[s.sample(logits.data(), 4)]++;
  EXPECT_EQ(count[2], 0);
  // 2 degrees of freedom: P(chi2 > 13.82) = 0.001.
  EXPECT_LT(chiSquare(count, want, n), 13.82);
}

} // namespace
