//===- ProgramOptions.cpp - The produced program's command line -*- C++ -*-===//
//
// --help's text and the parser of every flag of a produced program, modelled
// on llama.cpp's llama-cli. A bad value is one line naming the flag, what it
// expects and what it got, and exit status 2.
//
//===----------------------------------------------------------------------===//

#include "runtime/program/Program.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace llamart {

namespace {

const char *kUsage =
    "usage: %s -m MODEL.gguf [-p PROMPT | -f FILE | --tokens IDS | --chat] "
    "[options]\n"
    "\n"
    "input:\n"
    "  -m, --model FILE        the GGUF model (the one the program was "
    "compiled for)\n"
    "  -p, --prompt TEXT       prompt text (default: empty, generation starts "
    "at BOS)\n"
    "  --weights FILE          the packed weights llama-compile wrote with "
    "the program\n"
    "                          (default: PROGRAM.weights next to it; only "
    "for programs\n"
    "                          compiled with packed weights)\n"
    "  -f, --file FILE         read the prompt from a file\n"
    "  --tokens IDS            prompt as comma-separated token ids (BOS "
    "included)\n"
    "  --chat                  interactive chat on stdin with the Llama-2 "
    "template\n"
    "  --system TEXT           system prompt for --chat (default: none)\n"
    "generation:\n"
    "  -n, --n-predict N       tokens to generate (default: 128; -1 = until "
    "the context is full)\n"
    "  -c, --ctx-size N        context length, at most the compiled one "
    "(default: the compiled one)\n"
    "  --ignore-eos            do not stop at the end-of-sequence token\n"
    "  -t, --threads N         threads (default: the number of cores)\n"
    "  --kv-type T             KV cache type; must be the compiled one (f32 or "
    "f16)\n"
    "sampling (llama.cpp's order: penalty, top-k, top-p, min-p, temperature):\n"
    "  -s, --seed N            random seed (default: -1, a random seed)\n"
    "  --temp T                temperature (default: 0.8; 0 = greedy)\n"
    "  --top-k N               top-k (default: 40; 0 = off)\n"
    "  --top-p P               top-p (default: 0.95; 1.0 = off)\n"
    "  --min-p P               min-p (default: 0.05; 0.0 = off)\n"
    "  --repeat-penalty X      repetition penalty (default: 1.0 = off)\n"
    "  --repeat-last-n N       tokens the penalty looks back at (default: 64; "
    "-1 = context)\n"
    "benchmark (like llama-bench):\n"
    "  --bench                 run pp and tg, print tokens/s against the "
    "machine's roofline\n"
    "  --bench-pp N            prompt tokens of the pp test (default: 512, "
    "capped at the context)\n"
    "  --bench-tg N            generated tokens of the tg test (default: 128)\n"
    "  --bench-reps N          repetitions; the median is reported (default: "
    "5)\n"
    "  --bench-format F        md or json (default: md)\n"
    "output:\n"
    "  --print-ids             print the generated token ids instead of text\n"
    "  --logits-out FILE       write the float32 logits of every evaluated "
    "position\n"
    "  -h, --help              this help\n";

bool parseInt(const std::string &s, long long *out) {
  char *end;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno || end == s.c_str() || *end)
    return false;
  *out = v;
  return true;
}
bool parseFloat(const std::string &s, float *out) {
  char *end;
  errno = 0;
  float v = std::strtof(s.c_str(), &end);
  if (errno || end == s.c_str() || *end || !std::isfinite(v))
    return false;
  *out = v;
  return true;
}

} // namespace

[[noreturn]] void die(const char *prog, const std::string &msg, int code) {
  std::fflush(stdout);
  std::fprintf(stderr, "%s: %s\n", prog, msg.c_str());
  std::exit(code);
}

Options parseArgs(int argc, char **argv) {
  Options o;
  const char *prog = argv[0];
  auto bad = [&](const std::string &msg) {
    die(prog, msg + " (see --help)", 2);
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::printf(kUsage, prog);
      std::exit(0);
    }
    if (a == "--print-ids") {
      o.printIds = true;
      continue;
    }
    if (a == "--ignore-eos") {
      o.ignoreEos = true;
      continue;
    }
    if (a == "--bench") {
      o.bench = true;
      continue;
    }
    if (a == "--chat" || a == "-i" || a == "--interactive") {
      o.chat = true;
      continue;
    }
    if (i + 1 >= argc)
      bad("unknown option or missing value: '" + a + "'");
    std::string v = argv[i + 1];
    bool known = true;
    long long n;
    float x;
    if (a == "-m" || a == "--model")
      o.model = v;
    else if (a == "-p" || a == "--prompt") {
      o.prompt = v;
      o.hasPrompt = true;
    } else if (a == "-f" || a == "--file")
      o.promptFile = v;
    else if (a == "--tokens")
      o.tokens = v;
    else if (a == "--system")
      o.system = v;
    else if (a == "--logits-out")
      o.logitsOut = v;
    else if (a == "--weights")
      o.weights = v;
    else if (a == "--kv-type")
      o.kvType = v;
    else if (a == "--bench-format") {
      if (v != "md" && v != "json")
        bad("--bench-format: expected md or json, got '" + v + "'");
      o.benchFormat = v;
    } else if (a == "--bench-pp" || a == "--bench-tg" || a == "--bench-reps") {
      bool reps = a == "--bench-reps";
      if (!parseInt(v, &n) || n < (reps ? 1 : 0) || n > (1 << 20))
        bad(a +
            (reps ? ": expected an integer in 1..1048576, got '"
                  : ": expected an integer in 0..1048576, got '") +
            v + "'");
      (a == "--bench-pp"   ? o.benchPP
       : a == "--bench-tg" ? o.benchTG
                           : o.benchReps) = n;
    } else if (a == "-n" || a == "--n-predict") {
      if (!parseInt(v, &n) || n < -1)
        bad("-n: expected an integer >= -1, got '" + v + "'");
      o.nPredict = n;
    } else if (a == "-c" || a == "--ctx-size") {
      if (!parseInt(v, &n) || n <= 0)
        bad("-c: expected a positive integer, got '" + v + "'");
      o.ctx = n;
    } else if (a == "-t" || a == "--threads") {
      if (!parseInt(v, &n) || n <= 0 || n > 1024)
        bad("-t: expected 1..1024, got '" + v + "'");
      o.threads = n;
    } else if (a == "-s" || a == "--seed") {
      if (!parseInt(v, &n) || n < -1 || n > 0xFFFFFFFFll)
        bad("--seed: expected -1..4294967295, got '" + v + "'");
      o.seed = n;
    } else if (a == "--temp") {
      if (!parseFloat(v, &x))
        bad("--temp: expected a number, got '" + v + "'");
      o.sampling.temp = x;
    } else if (a == "--top-k") {
      if (!parseInt(v, &n) || n < 0 || n > (1 << 30))
        bad("--top-k: expected an integer >= 0, got '" + v + "'");
      o.sampling.topK = static_cast<int32_t>(n);
    } else if (a == "--top-p") {
      if (!parseFloat(v, &x) || x < 0 || x > 1)
        bad("--top-p: expected 0..1, got '" + v + "'");
      o.sampling.topP = x;
    } else if (a == "--min-p") {
      if (!parseFloat(v, &x) || x < 0 || x > 1)
        bad("--min-p: expected 0..1, got '" + v + "'");
      o.sampling.minP = x;
    } else if (a == "--repeat-penalty") {
      if (!parseFloat(v, &x) || x <= 0)
        bad("--repeat-penalty: expected a positive number, got '" + v + "'");
      o.sampling.repeatPenalty = x;
    } else if (a == "--repeat-last-n") {
      if (!parseInt(v, &n) || n < -1 || n > (1 << 30))
        bad("--repeat-last-n: expected an integer >= -1, got '" + v + "'");
      o.sampling.repeatLastN = static_cast<int32_t>(n);
    } else
      known = false;
    if (!known)
      bad("unknown option '" + a + "'");
    ++i;
  }
  if (o.model.empty())
    bad("-m MODEL.gguf is required");
  int inputs = o.hasPrompt + !o.promptFile.empty() + !o.tokens.empty() + o.chat;
  if (inputs > 1)
    bad("give only one of -p, -f, --tokens and --chat");
  return o;
}

} // namespace llamart
