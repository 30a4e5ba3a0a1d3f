//===- Program.cpp - main() of every produced program -----------*- C++ -*-===//
//
// The command line of a program made by llama-compile, modelled on
// llama.cpp's llama-cli:
//
//   ./model -m MODEL.gguf -p "Once upon a time" -n 128
//   ./model -m MODEL.gguf --chat [--system TEXT]
//   ./model -m MODEL.gguf --tokens 1,403,407 --print-ids [--logits-out F]
//
// It maps the GGUF file, checks it against the compiled manifest, binds each
// weight's bytes to the generated code, tokenizes the prompt, evaluates it in
// one batched prefill call, then samples one token per decode call, streaming
// text to stdout. All math runs in the generated entry points; this file moves
// buffers and text around. Every read is bounded by what the context can
// hold, every write is checked, and a model file that shrinks while mapped
// is reported, not a silent SIGBUS.
//
//===----------------------------------------------------------------------===//

#include "runtime/program/Program.h"

#include "runtime/core/CPUFeatures.h"
#include "runtime/core/FileIO.h"
#include "runtime/core/Manifest.h"
#include "runtime/core/Sampler.h"
#include "runtime/core/ThreadPool.h"
#include "runtime/core/Tokenizer.h"
#include "runtime/gguf/GGUF.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace llamart;

namespace {

struct Stats {
  double promptSec = 0, genSec = 0;
  long long promptTokens = 0, genTokens = 0;
};

const char *progName = "model";

/// Streams text to stdout as it is generated; output that cannot be written
/// (a full disk, a closed pipe with SIGPIPE ignored) ends the program.
void emit(const std::string &s) {
  if ((!s.empty() && std::fwrite(s.data(), 1, s.size(), stdout) != s.size()) ||
      std::fflush(stdout) != 0) {
    int err = errno;
    std::fprintf(stderr, "%s: standard output: write failed: %s\n", progName,
                 std::strerror(err ? err : EIO));
    std::exit(1); // (atexit removes an unfinished --logits-out)
  }
}

/// The index of the first non-finite value of `row`, or -1.
int64_t firstNonFinite(const float *row, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(row[i]))
      return i;
  return -1;
}

} // namespace

int main(int argc, char **argv) {
  auto t0 = std::chrono::steady_clock::now();
  const char *prog = argv[0];
  progName = prog;
  Options o = parseArgs(argc, argv);
  // A model file truncated while mapped: one line naming it, exit 1.
  installMappingGuard(prog);

  Expected<Manifest> manifest = parseManifest(llama_manifest);
  if (!manifest)
    die(prog, manifest.error().message(), 1);
  const Manifest &m = *manifest;
  // Before any generated code runs: refuse a CPU without the features the
  // code was compiled for (rather than die of SIGILL inside a kernel).
  std::vector<std::string> missing = missingCPUFeatures(m.cpuFeatures);
  if (!missing.empty()) {
    std::string list;
    for (const std::string &f : missing)
      list += (list.empty() ? "" : ", ") + f;
    die(prog,
        "this program was compiled for target '" + m.target + "' (" + m.triple +
            ") and this CPU lacks " + list +
            "; recompile with llama-compile --target=<one this CPU "
            "has> (llama-compile --list-targets)",
        3);
  }
  // GPU programs: a driver and a device, or a clear error.
  if (m.triple.rfind("nvptx", 0) == 0) {
    char err[512] = {0};
    if (!llama_rt_gpu_init || llama_rt_gpu_init(err, sizeof(err)) != 0)
      die(prog,
          "this program was compiled for target '" + m.target + "' (" +
              m.triple + ", an NVIDIA GPU): " +
              (llama_rt_gpu_init ? std::string(err)
                                 : std::string("it was linked without the "
                                               "CUDA runtime")),
          3);
    buffers().gpu = true;
    char dev[300] = {0};
    llama_rt_gpu_describe(dev, sizeof(dev));
    std::fprintf(stderr, "GPU: %s\n", dev);
  }
  int64_t nVocab = m.hparam(LLAMA_ABI_HPARAM_N_VOCAB),
          nCtx = m.hparam(LLAMA_ABI_HPARAM_N_CTX);
  if (!o.kvType.empty() && o.kvType != m.kvType)
    die(prog,
        "--kv-type " + o.kvType + ": this program was compiled for " +
            m.kvType + " (llama-compile --kv-type)",
        2);
  if (o.ctx > nCtx)
    die(prog,
        "-c " + std::to_string(o.ctx) +
            " exceeds the compiled context length " + std::to_string(nCtx) +
            " (llama-compile -c)",
        2);
  int64_t ctx = o.ctx ? o.ctx : nCtx;

  Expected<std::unique_ptr<GGUFFile>> file = GGUFFile::open(o.model);
  if (!file)
    die(prog, file.error().message(), 1);
  const GGUFView &view = (*file)->view();
  std::vector<int64_t> offsets;
  if (Error e = bindWeights(m, view, offsets))
    die(prog, e.message(), 1);
  // Weights packed at compile time: PROGRAM.weights, mapped read-only (the
  // GGUF file then supplies the tokenizer and was checked for shape).
  std::unique_ptr<WeightsFile> packed;
  if (m.weightsBytes) {
    std::string path = o.weights.empty() ? defaultWeightsPath() : o.weights;
    if (path.empty())
      die(prog,
          "cannot locate this program's packed weights file; pass it with "
          "--weights FILE",
          1);
    Expected<std::unique_ptr<WeightsFile>> w = WeightsFile::open(path, m);
    if (!w)
      die(prog, w.error().message(), 1);
    packed = std::move(*w);
  } else if (!o.weights.empty()) {
    die(prog,
        "--weights " + o.weights +
            ": this program reads its weights from the GGUF file (-m)",
        2);
  }
  Expected<Tokenizer> tokenizer = Tokenizer::fromGGUF(view);
  bool needText = !o.printIds || o.chat || o.hasPrompt || !o.promptFile.empty();
  if (!tokenizer && needText)
    die(prog, tokenizer.error().message(), 1);

  int threads =
      o.threads > 0
          ? static_cast<int>(o.threads)
          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  llama_rt_set_threads(threads);
  if (o.bench)
    return runBench(o, m, view, packed.get(), offsets, ctx, threads);

  // The prompt. A text of B bytes has at least B / maxTokenBytes tokens:
  // what cannot fit the context is refused before it is read in full or
  // tokenized.
  size_t maxPromptBytes =
      tokenizer ? static_cast<size_t>(ctx) * tokenizer->maxTokenBytes() : 0;
  std::string bound = "the context of " + std::to_string(ctx) +
                      " tokens holds at most " +
                      std::to_string(maxPromptBytes) + " bytes of text";
  std::vector<int32_t> prompt;
  std::string promptText;
  if (!o.tokens.empty()) {
    for (const char *p = o.tokens.c_str(); *p;) {
      char *end;
      errno = 0;
      long long t = std::strtoll(p, &end, 10);
      if (end == p || errno || (*end && *end != ','))
        die(prog,
            "--tokens: expected comma-separated integers, got '" + o.tokens +
                "'",
            2);
      if (t < 0 || t >= nVocab)
        die(prog,
            "--tokens: token id " + std::to_string(t) +
                " is outside the vocabulary [0, " + std::to_string(nVocab) +
                ")",
            2);
      prompt.push_back(static_cast<int32_t>(t));
      if (static_cast<int64_t>(prompt.size()) > ctx)
        break; // refused below, with the context length
      p = *end ? end + 1 : end;
    }
    if (prompt.empty())
      die(prog, "--tokens: at least one token is needed", 2);
    if (tokenizer)
      promptText = tokenizer->decode(prompt);
  } else if (!o.chat) {
    promptText = o.prompt;
    if (!o.promptFile.empty()) {
      if (Error e =
              readFileBounded(o.promptFile, maxPromptBytes, bound, promptText))
        die(prog, "-f " + e.message(), e.code() == ErrorCode::TooLarge ? 2 : 1);
    } else if (promptText.size() > maxPromptBytes) {
      die(prog,
          "-p: the prompt has " + std::to_string(promptText.size()) +
              " bytes; " + bound,
          2);
    }
    prompt = tokenizer->encode(promptText, tokenizer->addBos());
    if (prompt.empty())
      die(prog, "the prompt is empty and the vocabulary has no BOS token", 2);
  }
  if (static_cast<int64_t>(prompt.size()) > ctx)
    die(prog,
        (o.tokens.empty() ? "the prompt has " + std::to_string(prompt.size())
                          : std::string("--tokens has more")) +
            " tokens, more than the context length " + std::to_string(ctx),
        2);

  uint32_t seed =
      o.seed < 0 ? std::random_device{}() : static_cast<uint32_t>(o.seed);
  Sampler sampler(o.sampling, seed);
  Session session(m, view, packed.get(), offsets, ctx);
  int32_t eos = tokenizer ? tokenizer->eos() : -1;
  // The logits file: written beside its path and renamed when complete, and
  // never the model file itself.
  std::unique_ptr<AtomicOutputFile> logitsFile;
  if (!o.logitsOut.empty()) {
    if (Error e = checkNotInput("--logits-out", o.logitsOut, o.model))
      die(prog, e.message(), 2);
    Expected<AtomicOutputFile> f = AtomicOutputFile::create(o.logitsOut);
    if (!f)
      die(prog, "--logits-out " + f.error().message(), 1);
    logitsFile = std::make_unique<AtomicOutputFile>(std::move(*f));
  }
  auto saveLogits = [&](const std::vector<float> &l) {
    if (!logitsFile)
      return;
    if (Error e = writeChecked(logitsFile->stream(), l.data(),
                               l.size() * sizeof(float), o.logitsOut))
      die(prog, "--logits-out " + e.message(), 1);
  };
  Stats stats;
  auto tLoaded = std::chrono::steady_clock::now();

  /// Evaluates `input`, then generates up to `limit` tokens; returns them.
  /// `accepted` leading tokens of `input` were sampled, so the repetition
  /// window has them already. `pending` receives what a chat's next turn
  /// evaluates first: the answer's last sampled token (if not EOS) and EOS.
  auto generate = [&](const std::vector<int32_t> &input, size_t accepted,
                      long long limit, bool stream,
                      std::vector<int32_t> *pending) {
    std::vector<int32_t> out;
    auto ta = std::chrono::steady_clock::now();
    for (size_t i = accepted; i < input.size(); ++i)
      sampler.accept(input[i]);
    int64_t first = session.pos();
    // Every position's logits only for --logits-out: sampling needs the
    // last.
    const std::vector<float> *logits =
        &session.eval(input, /*allLogits=*/logitsFile != nullptr);
    saveLogits(*logits);
    auto tb = std::chrono::steady_clock::now();
    stats.promptSec += seconds(ta, tb);
    stats.promptTokens += static_cast<long long>(input.size());
    const float *last = logits->data() + logits->size() - nVocab;
    int64_t lastPos = first + static_cast<int64_t>(input.size()) - 1;
    while (limit < 0 || static_cast<long long>(out.size()) < limit) {
      // Weights that overflow (or NaN/Inf stored in the file) give logits
      // that no sampler can rank: stop with the position, not a token 0.
      int64_t bad = firstNonFinite(last, nVocab);
      if (bad >= 0)
        die(prog,
            "the logits at position " + std::to_string(lastPos) +
                " are not finite (logit " + std::to_string(bad) + " is " +
                std::to_string(last[bad]) +
                "): the model's weights overflow float32 or hold NaN/Inf",
            1);
      int32_t next = sampler.sample(last, static_cast<int32_t>(nVocab));
      if (next == eos && !o.ignoreEos) {
        if (pending)
          *pending = {eos};
        break;
      }
      out.push_back(next);
      if (stream && tokenizer)
        emit(tokenizer->piece(next));
      if (static_cast<long long>(out.size()) == limit) {
        if (pending)
          *pending = next == eos ? std::vector<int32_t>{next}
                                 : std::vector<int32_t>{next, eos};
        break;
      }
      if (session.pos() >= session.ctx()) {
        std::fflush(stdout);
        std::fprintf(stderr, "\n%s: the context of %lld tokens is full\n", prog,
                     static_cast<long long>(session.ctx()));
        if (pending)
          *pending = next == eos ? std::vector<int32_t>{next}
                                 : std::vector<int32_t>{next, eos};
        break;
      }
      logits = &session.eval({next});
      saveLogits(*logits);
      last = logits->data();
      lastPos = session.pos() - 1;
    }
    stats.genSec += seconds(tb, std::chrono::steady_clock::now());
    stats.genTokens += static_cast<long long>(out.size());
    return out;
  };

  if (o.chat) {
    // Llama-2 chat: <s>[INST] <<SYS>>\nSYS\n<</SYS>>\n\nUSER [/INST] ANSWER
    // </s>. A line longer than the context can hold is refused unread.
    std::string line;
    bool first = true;
    std::vector<int32_t> pending;
    size_t pendingSampled = 0; // its leading tokens the sampler drew
    while (true) {
      Expected<bool> got =
          readLineBounded(stdin, maxPromptBytes, "standard input", bound, line);
      if (!got)
        die(prog, "--chat: " + got.error().message(),
            got.error().code() == ErrorCode::TooLarge ? 2 : 1);
      if (!*got)
        break;
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      std::string turn = "[INST] ";
      if (first && !o.system.empty())
        turn += "<<SYS>>\n" + o.system + "\n<</SYS>>\n\n";
      turn += line + " [/INST]";
      // The previous answer's last tokens (closed with EOS), then this turn.
      std::vector<int32_t> input;
      for (int32_t t : pending)
        if (t >= 0)
          input.push_back(t);
      if (tokenizer->bos() >= 0)
        input.push_back(tokenizer->bos());
      std::vector<int32_t> body = tokenizer->encode(turn, false);
      input.insert(input.end(), body.begin(), body.end());
      if (session.pos() + static_cast<int64_t>(input.size()) > session.ctx()) {
        std::fprintf(stderr,
                     "%s: the context of %lld tokens is full; ending "
                     "the chat\n",
                     prog, static_cast<long long>(session.ctx()));
        break;
      }
      // The last sampled token needs no room: it is evaluated next turn.
      long long room =
          session.ctx() - session.pos() - static_cast<long long>(input.size());
      long long limit = o.nPredict < 0 ? room : std::min(o.nPredict, room);
      size_t accepted = 0;
      for (size_t i = 0; i < pendingSampled && i < pending.size(); ++i)
        accepted += pending[i] >= 0;
      pending.clear();
      generate(input, accepted, limit, true, &pending);
      // An answer of no tokens (-n 0) is still closed with EOS.
      pendingSampled = pending.empty() ? 0 : 1;
      if (pending.empty())
        pending = {eos};
      emit("\n");
      first = false;
    }
  } else {
    if (!o.printIds)
      emit(promptText);
    // Every generated token but the last is evaluated, at the positions after
    // the prompt: room + 1 tokens fit the context.
    long long room = ctx - static_cast<long long>(prompt.size());
    long long limit =
        o.nPredict < 0 ? room + 1 : std::min<long long>(o.nPredict, room + 1);
    std::vector<int32_t> out = generate(prompt, 0, limit, !o.printIds, nullptr);
    if (o.printIds) {
      std::string s;
      for (size_t i = 0; i < out.size(); ++i)
        s += (i ? " " : "") + std::to_string(out[i]);
      emit(s + "\n");
    } else {
      emit("\n");
    }
  }
  if (logitsFile)
    if (Error e = logitsFile->commit())
      die(prog, "--logits-out " + e.message(), 1);
  std::fprintf(stderr,
               "%s: load %.3f s; prompt %lld tokens in %.3f s (%.2f tok/s); "
               "generated %lld tokens in %.3f s (%.2f tok/s); %d threads; "
               "seed %u\n",
               prog, seconds(t0, tLoaded), stats.promptTokens, stats.promptSec,
               stats.promptSec > 0 ? stats.promptTokens / stats.promptSec : 0.0,
               stats.genTokens, stats.genSec,
               stats.genSec > 0 ? stats.genTokens / stats.genSec : 0.0, threads,
               seed);
  return 0;
}
