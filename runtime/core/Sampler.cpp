//===- Sampler.cpp - Token sampling as llama.cpp does it --------*- C++ -*-===//
//
// Implements Sampler.h.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/Sampler.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace llamart {

Sampler::Sampler(const SamplerParams &params, uint32_t seed)
    : params_(params), rng_(seed) {}

void Sampler::accept(int32_t token) {
  recent_.push_back(token);
  size_t keep = params_.repeatLastN < 0 ? SIZE_MAX
                                        : static_cast<size_t>(params_.repeatLastN);
  while (recent_.size() > keep)
    recent_.pop_front();
}

void Sampler::applyRepeatPenalty(std::vector<Candidate> &c) const {
  if (params_.repeatPenalty == 1.0f || recent_.empty())
    return;
  std::unordered_set<int32_t> seen(recent_.begin(), recent_.end());
  for (Candidate &x : c)
    if (seen.count(x.id))
      x.logit = x.logit > 0 ? x.logit / params_.repeatPenalty
                            : x.logit * params_.repeatPenalty;
}

void Sampler::softmax(std::vector<Candidate> &c) {
  std::sort(c.begin(), c.end(), [](const Candidate &a, const Candidate &b) {
    return a.logit > b.logit;
  });
  float mx = c.front().logit;
  double sum = 0;
  for (Candidate &x : c) {
    x.p = std::exp(x.logit - mx);
    sum += x.p;
  }
  for (Candidate &x : c)
    x.p = static_cast<float>(x.p / sum);
}

void Sampler::topK(std::vector<Candidate> &c, int32_t k) {
  if (k <= 0 || static_cast<size_t>(k) >= c.size())
    return;
  std::partial_sort(c.begin(), c.begin() + k, c.end(),
                    [](const Candidate &a, const Candidate &b) {
                      return a.logit > b.logit;
                    });
  c.resize(static_cast<size_t>(k));
}

void Sampler::topP(std::vector<Candidate> &c, float p) {
  if (p >= 1.0f)
    return;
  softmax(c);
  double cum = 0;
  size_t keep = c.size();
  for (size_t i = 0; i < c.size(); ++i) {
    cum += c[i].p;
    if (cum >= p) {
      keep = i + 1;
      break;
    }
  }
  c.resize(std::max<size_t>(keep, 1));
}

void Sampler::minP(std::vector<Candidate> &c, float p) {
  if (p <= 0.0f)
    return;
  softmax(c);
  float threshold = c.front().p * p;
  size_t keep = 1;
  while (keep < c.size() && c[keep].p >= threshold)
    ++keep;
  c.resize(keep);
}

void Sampler::temperature(std::vector<Candidate> &c, float t) {
  for (Candidate &x : c)
    x.logit /= t;
}

int32_t Sampler::draw(std::vector<Candidate> &c) {
  softmax(c);
  std::vector<float> w;
  w.reserve(c.size());
  for (const Candidate &x : c)
    w.push_back(x.p);
  std::discrete_distribution<size_t> dist(w.begin(), w.end());
  return c[dist(rng_)].id;
}

int32_t Sampler::sample(const float *logits, int32_t nVocab) {
  std::vector<Candidate> c(static_cast<size_t>(nVocab));
  for (int32_t i = 0; i < nVocab; ++i)
    c[i] = {i, logits[i], 0.0f};
  applyRepeatPenalty(c);
  int32_t tok;
  if (params_.temp <= 0.0f) {
    tok = std::max_element(c.begin(), c.end(),
                           [](const Candidate &a, const Candidate &b) {
                             return a.logit < b.logit;
                           })
              ->id;
  } else {
    topK(c, params_.topK);
    topP(c, params_.topP);
    minP(c, params_.minP);
    temperature(c, params_.temp);
    tok = draw(c);
  }
  accept(tok);
  return tok;
}

} // namespace llamart
