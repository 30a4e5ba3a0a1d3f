//===- ProgramBench.cpp - --bench: pp and tg against the roofline --------===//
//
// llama-bench's two tests on the compiled model: pp (one prefill call of N
// random tokens) and tg (N greedy decode calls), each repeated, the median
// reported with the min and max, against the roofline of this machine's
// measured read bandwidth (tg) and its FMA and int8-dot peaks (pp: each
// matmul at the peak of the instruction family its weight type uses; the
// machine's peak, whatever instructions the program was compiled for).
//
//===----------------------------------------------------------------------===//

#include "runtime/program/Program.h"

#include "runtime/core/Bench.h"

#include <algorithm>
#include <cstdio>
#include <random>

namespace llamart {

/// --bench: pp and tg like llama-bench, against the measured roofline.
int runBench(const Options &o, const Manifest &m, const GGUFView &view,
             const WeightsFile *packed, const std::vector<int64_t> &offsets,
             int64_t ctx, int threads) {
  // What one token costs: every weight byte once for decode (one embedding
  // row), 2 operations per matmul parameter for prefill: int8 ones for the
  // weight types the program's matmuls take through integer dot products,
  // fp32 FMAs for the others.
  // The output matmul runs once per prompt (only the last token's logits),
  // once per token in decode.
  double bytes = 0, params = 0, intParams = 0, outParams = 0, outInt = 0;
  for (const ManifestWeight &w : m.weights) {
    const GGUFTensor *t = view.findTensor(w.name);
    if (!t)
      continue;
    bool embd = w.name == "token_embd.weight";
    bool tied = m.hparam(LLAMA_ABI_HPARAM_TIED_OUTPUT) != 0;
    bytes += embd && !tied ? double(t->nbytes) / double(t->rows())
                           : double(t->nbytes);
    if (t->nDims == 2 && (!embd || tied)) {
      bool out = embd || w.name == "output.weight";
      bool isInt = std::find(m.intDotTypes.begin(), m.intDotTypes.end(),
                             w.type) != m.intDotTypes.end();
      params += double(t->numElements);
      intParams += isInt ? double(t->numElements) : 0;
      outParams += out ? double(t->numElements) : 0;
      outInt += out && isInt ? double(t->numElements) : 0;
    }
  }
  double bw = measureReadBandwidth(threads), flops = measureFmaPeak(threads);
  double iops = intParams > 0 ? measureInt8DotPeak(threads) : 0;
  // Without an int8 peak (no AVX2: AArch64, baseline x86), integer dots
  // are counted at the FMA's.
  double intPeak = iops > 0 ? iops : flops;
  // AMX programs multiply a prompt's blocks of 16 tokens in tile registers:
  // the layers' integer-dot matmuls at the AMX peak (the output matmul, one
  // token, stays on vpdpbusd).
  bool amx = std::find(m.cpuFeatures.begin(), m.cpuFeatures.end(),
                       "amx_int8") != m.cpuFeatures.end();
  double amxOps = amx && intParams > 0 ? measureAMXInt8Peak(threads) : 0;
  double layerIntPeak = amxOps > 0 ? amxOps : intPeak;
  int64_t pp = std::min<int64_t>(o.benchPP, ctx);
  int64_t tg = std::min<int64_t>(o.benchTG, ctx - 1);
  int64_t nVocab = m.hparam(LLAMA_ABI_HPARAM_N_VOCAB);
  std::vector<double> ppRate, tgRate;
  std::mt19937 rng(1);
  {
    // Warm-up, untimed (like llama-bench's): page-in of the weights, and on
    // a GPU the PTX's JIT and the weights' move to the device.
    Session s(m, view, packed, offsets, ctx);
    if (pp > 1)
      s.eval({1, 2});
    s.eval({1});
  }
  bool gpu = llama_rt_gpu_launch_count && buffers().gpu;
  uint64_t launches = 0;
  for (long long r = 0; r < o.benchReps; ++r) {
    if (pp > 0) {
      Session s(m, view, packed, offsets, ctx);
      std::vector<int32_t> toks(static_cast<size_t>(pp));
      for (int32_t &t : toks)
        t = static_cast<int32_t>(rng() % static_cast<uint32_t>(nVocab));
      auto a = std::chrono::steady_clock::now();
      s.eval(toks, /*allLogits=*/false);
      ppRate.push_back(pp / seconds(a, std::chrono::steady_clock::now()));
    }
    if (tg > 0) {
      Session s(m, view, packed, offsets, ctx);
      const std::vector<float> *last = &s.eval({1});
      uint64_t before = gpu ? llama_rt_gpu_launch_count() : 0;
      auto a = std::chrono::steady_clock::now();
      for (int64_t i = 0; i < tg; ++i) {
        int32_t next = static_cast<int32_t>(
            std::max_element(last->begin(), last->begin() + nVocab) -
            last->begin());
        last = &s.eval({next});
      }
      tgRate.push_back(tg / seconds(a, std::chrono::steady_clock::now()));
      if (gpu)
        launches = (llama_rt_gpu_launch_count() - before) / tg;
    }
  }
  Summary pps = summarize(ppRate), tgs = summarize(tgRate);
  // Seconds of matmul per prompt token: every layer's, plus the output's
  // shared by the prompt's pp tokens.
  auto cost = [&](double all, double ints, double peak) {
    return 2 * (all - ints) / flops + 2 * ints / peak;
  };
  double tgRoof = bw / bytes,
         ppRoof =
             1 / (cost(params - outParams, intParams - outInt, layerIntPeak) +
                  cost(outParams, outInt, intPeak) /
                      double(std::max<int64_t>(pp, 1)));
  std::string name = view.name().substr(view.name().find_last_of('/') + 1);
  if (o.benchFormat == "json") {
    std::printf("{\"model\": \"%s\", \"weight_bytes_per_token\": %.0f, "
                "\"matmul_params\": %.0f, \"output_params\": %.0f, "
                "\"threads\": %d, "
                "\"int_dot_params\": %.0f, "
                "\"read_bandwidth_gb_s\": %.2f, \"fma_peak_gflop_s\": %.2f, "
                "\"int8_dot_peak_gop_s\": %.2f, \"amx_int8_peak_gop_s\": %.2f, "
                "\"repetitions\": %lld, \"gpu_launches_per_token\": %llu, "
                "\"tests\": [",
                name.c_str(), bytes, params, outParams, threads, intParams,
                bw / 1e9, flops / 1e9, iops / 1e9, amxOps / 1e9, o.benchReps,
                static_cast<unsigned long long>(launches));
    bool first = true;
    auto row = [&](const char *test, int64_t n, const Summary &s, double roof) {
      if (n <= 0)
        return;
      std::printf("%s{\"test\": \"%s%lld\", \"tokens_per_s\": %.3f, "
                  "\"min\": %.3f, \"max\": %.3f, \"roofline_tokens_per_s\": "
                  "%.3f, \"percent_of_roofline\": %.1f}",
                  first ? "" : ", ", test, static_cast<long long>(n), s.median,
                  s.min, s.max, roof, 100 * s.median / roof);
      first = false;
    };
    row("pp", pp, pps, ppRoof);
    row("tg", tg, tgs, tgRoof);
    std::printf("]}\n");
  } else {
    std::printf("| model | weights/token | threads | test | t/s (median) | min "
                "- max | roofline t/s | %% of roofline |\n"
                "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |\n");
    auto row = [&](const char *test, int64_t n, const Summary &s, double roof) {
      if (n <= 0)
        return;
      std::printf("| %s | %.1f MiB | %d | %s%lld | %.2f | %.2f - %.2f | %.2f | "
                  "%.1f%% |\n",
                  name.c_str(), bytes / (1 << 20), threads, test,
                  static_cast<long long>(n), s.median, s.min, s.max, roof,
                  100 * s.median / roof);
    };
    row("pp", pp, pps, ppRoof);
    row("tg", tg, tgs, tgRoof);
    std::printf("\nmachine: read bandwidth %.2f GB/s, fp32 FMA peak %.1f "
                "GFLOP/s, int8 dot peak %.1f GOP/s",
                bw / 1e9, flops / 1e9, iops / 1e9);
    if (amxOps > 0)
      std::printf(", AMX int8 peak %.1f GOP/s", amxOps / 1e9);
    std::printf(" (%d threads); %lld repetitions\n", threads, o.benchReps);
    std::printf("roofline: tg = bandwidth / weight bytes per token; pp = 1 / "
                "(2 x %.0f fp32-dot matmul parameters / FMA peak + 2 x %.0f "
                "int8-dot parameters / %s peak), the %.0f of the output "
                "matmul once per prompt%s\n",
                params - intParams, intParams,
                amxOps > 0 ? "AMX int8"
                : iops > 0 ? "int8 dot"
                           : "FMA",
                outParams, amxOps > 0 ? " (at the int8 dot peak)" : "");
    if (gpu)
      std::printf("GPU: %llu kernel launches per generated token; the "
                  "roofline above is the host CPU's\n",
                  static_cast<unsigned long long>(launches));
  }
  return 0;
}

} // namespace llamart
