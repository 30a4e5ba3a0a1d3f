//===- Sampler.h - Token sampling as llama.cpp does it ----------*- C++ -*-===//
//
// Picks the next token from a row of logits with llama.cpp's samplers, flag
// names, defaults and order of application:
//
//   repetition penalty (last repeat_last_n tokens) -> top-k -> top-p ->
//   min-p -> temperature -> draw from the softmax (seeded mt19937)
//
// temp <= 0 is greedy (argmax after the penalty). The same seed gives the same
// tokens on every run.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_RUNTIME_SAMPLER_H
#define LLAMA_MLIR_RUNTIME_SAMPLER_H

#include <cstdint>
#include <deque>
#include <random>
#include <vector>

namespace llamart {

struct SamplerParams {
  float temp = 0.8f;
  int32_t topK = 40;          ///< <= 0: all tokens
  float topP = 0.95f;         ///< >= 1: off
  float minP = 0.05f;         ///< <= 0: off
  float repeatPenalty = 1.0f; ///< 1: off
  int32_t repeatLastN = 64;   ///< 0: off, -1: the whole context
  uint32_t seed = 0xFFFFFFFFu; ///< 0xFFFFFFFF: a random seed
};

struct Candidate {
  int32_t id;
  float logit;
  float p;
};

class Sampler {
public:
  Sampler(const SamplerParams &params, uint32_t seed);

  /// Chooses a token from `logits` (n_vocab values) and records it.
  int32_t sample(const float *logits, int32_t nVocab);
  /// Records a token that was not sampled (prompt tokens), for the penalty.
  void accept(int32_t token);

  // The individual steps, exposed for tests. Each keeps at least one
  // candidate; top-p, min-p and the draw work on the softmax of the current
  // logits.
  void applyRepeatPenalty(std::vector<Candidate> &c) const;
  static void topK(std::vector<Candidate> &c, int32_t k);
  static void topP(std::vector<Candidate> &c, float p);
  static void minP(std::vector<Candidate> &c, float p);
  static void temperature(std::vector<Candidate> &c, float t);
  static void softmax(std::vector<Candidate> &c); ///< sorts by logit, desc
  int32_t draw(std::vector<Candidate> &c);

private:
  SamplerParams params_;
  std::mt19937 rng_;
  std::deque<int32_t> recent_;
};

} // namespace llamart

#endif // LLAMA_MLIR_RUNTIME_SAMPLER_H
