//===- llama-gguf.cpp - Inspect, validate and generate GGUF files -*- C++
//-*-===//
//
//   llama-gguf info FILE [--json] [--no-validate]
//   llama-gguf gen -o FILE [--preset NAME] [--type TYPE] [--seed N]
//                  [--vocab-from FILE] [--dim N --hidden-dim N --layers N
//                  --heads N --kv-heads N --vocab N --ctx N --rope-theta X
//                  --eps X --tied --rope-dims N --eos-bias X]
//   llama-gguf dequant FILE TENSOR -o OUT.f32
//
// Exit codes: 0 success, 1 invalid file or failed validation, 2 usage error.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/GGUFTools/Info.h"
#include "llama-mlir/GGUFTools/ModelGen.h"
#include "runtime/core/FileIO.h"
#include "runtime/gguf/GGUF.h"
#include "runtime/gguf/Quant.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

using namespace llamart;

namespace {

const char *kUsage =
    "usage:\n"
    "  llama-gguf info FILE [--json] [--no-validate]\n"
    "      describe a GGUF file and validate it as a Llama model\n"
    "  llama-gguf gen -o FILE [options]\n"
    "      write a synthetic Llama model with random weights\n"
    "      --preset NAME      tiny | stories260k | tinyllama | llama2-7b "
    "(default tiny)\n"
    "      --type TYPE        f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1 q2_k q3_k "
    "q4_k q5_k q6_k\n"
    "                         or the mixed policy q4_k_m (default f32)\n"
    "      --seed N           random seed (default 42)\n"
    "      --vocab-from FILE  copy the tokenizer from another GGUF\n"
    "      --dim N --hidden-dim N --layers N --heads N --kv-heads N\n"
    "      --vocab N --ctx N --rope-theta X --eps X --tied\n"
    "                         override the preset's shape\n"
    "      --rope-dims N      rotated dims per head (default head_dim)\n"
    "      --eos-bias X       scale EOS's output row (10: EOS comes soon)\n"
    "      --alignment N      general.alignment of the tensors (default 32)\n"
    "  llama-gguf dequant FILE TENSOR -o OUT.f32\n"
    "      write a tensor dequantized to little-endian float32\n";

int usage(const std::string &msg) {
  std::cerr << "llama-gguf: " << msg << "\n" << kUsage;
  return 2;
}

bool parseInt(const char *s, int64_t *out) {
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(s, &end, 10);
  if (errno || end == s || *end)
    return false;
  *out = v;
  return true;
}
bool parseDouble(const char *s, double *out) {
  char *end = nullptr;
  errno = 0;
  double v = std::strtod(s, &end);
  if (errno || end == s || *end)
    return false;
  *out = v;
  return true;
}

int cmdInfo(std::vector<std::string> args) {
  bool json = false, validate = true;
  std::string path;
  for (const std::string &a : args) {
    if (a == "--json")
      json = true;
    else if (a == "--no-validate")
      validate = false;
    else if (!a.empty() && a[0] == '-')
      return usage("info: unknown option '" + a + "'");
    else if (path.empty())
      path = a;
    else
      return usage("info: more than one FILE given");
  }
  if (path.empty())
    return usage("info: FILE is required");
  Expected<std::unique_ptr<GGUFFile>> f = GGUFFile::open(path);
  if (!f) {
    std::cerr << "llama-gguf: [" << errorCodeName(f.error().code()) << "] "
              << f.error().message() << "\n";
    return 1;
  }
  return printGGUFInfo((*f)->view(), json, validate, std::cout, std::cerr) ? 0
                                                                           : 1;
}

int cmdGen(std::vector<std::string> args) {
  ModelGenOptions o;
  std::string out, preset = "tiny";
  // The preset first, so that explicit sizes override it.
  for (size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == "--preset")
      preset = args[i + 1];
  if (Error e = applyPreset(preset, o))
    return usage("gen: " + e.message());
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &a = args[i];
    if (a == "--tied") {
      o.tied = true;
      continue;
    }
    if (i + 1 >= args.size())
      return usage("gen: option '" + a + "' needs a value");
    const char *v = args[++i].c_str();
    int64_t *intField = a == "--dim"          ? &o.dim
                        : a == "--hidden-dim" ? &o.hiddenDim
                        : a == "--layers"     ? &o.nLayers
                        : a == "--heads"      ? &o.nHeads
                        : a == "--kv-heads"   ? &o.nKVHeads
                        : a == "--vocab"      ? &o.nVocab
                        : a == "--ctx"        ? &o.nCtx
                        : a == "--rope-dims"  ? &o.nRot
                                              : nullptr;
    if (intField) {
      if (!parseInt(v, intField) || *intField <= 0 || *intField > (1 << 24))
        return usage("gen: " + a +
                     ": expected an integer in 1..16777216, "
                     "got '" +
                     v + "'");
    } else if (a == "--rope-theta" || a == "--eps" || a == "--eos-bias") {
      double *d = a == "--eps"        ? &o.rmsEps
                  : a == "--eos-bias" ? &o.eosBias
                                      : &o.ropeTheta;
      if (!parseDouble(v, d) || !(*d > 0))
        return usage("gen: " + a + ": expected a positive number, got '" + v +
                     "'");
    } else if (a == "--seed") {
      int64_t s;
      if (!parseInt(v, &s))
        return usage(std::string("gen: --seed: expected an integer, got '") +
                     v + "'");
      o.seed = static_cast<uint64_t>(s);
    } else if (a == "--alignment") {
      int64_t n;
      if (!parseInt(v, &n) || n <= 0 || n > 4096)
        return usage(std::string("gen: --alignment: expected a power of two "
                                 "up to 4096, got '") +
                     v + "'");
      o.alignment = static_cast<uint32_t>(n);
    } else if (a == "--type") {
      o.type = v;
    } else if (a == "--vocab-from") {
      o.vocabFrom = v;
    } else if (a == "-o") {
      out = v;
    } else if (a == "--preset") {
      // applied above
    } else {
      return usage("gen: unknown option '" + a + "'");
    }
  }
  if (out.empty())
    return usage("gen: -o FILE is required");
  if (o.type != "q4_k_m" && !parseGGMLTypeName(o.type.c_str()))
    return usage("gen: --type: unknown type '" + o.type + "'");
  auto start = std::chrono::steady_clock::now();
  std::vector<std::string> notes;
  Expected<GGUFWriter> w = makeModelWriter(o, &notes);
  if (!w) {
    std::cerr << "llama-gguf: gen: " << w.error().message() << "\n";
    return w.error().code() == ErrorCode::InvalidArgument ? 2 : 1;
  }
  for (const std::string &n : notes)
    std::cerr << "llama-gguf: note: " << n << "\n";
  if (Error e = w->write(out)) {
    std::cerr << "llama-gguf: " << e.message() << "\n";
    return 1;
  }
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  char took[32];
  std::snprintf(took, sizeof(took), "%.2f", secs);
  std::cerr << "llama-gguf: wrote " << out << " (preset " << preset << ", type "
            << o.type << ") in " << took << " s\n";
  return 0;
}

int cmdDequant(std::vector<std::string> args) {
  std::string path, tensor, out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "-o" && i + 1 < args.size())
      out = args[++i];
    else if (path.empty())
      path = args[i];
    else if (tensor.empty())
      tensor = args[i];
    else
      return usage("dequant: unexpected argument '" + args[i] + "'");
  }
  if (path.empty() || tensor.empty() || out.empty())
    return usage("dequant: FILE, TENSOR and -o OUT are required");
  Expected<std::unique_ptr<GGUFFile>> f = GGUFFile::open(path);
  if (!f) {
    std::cerr << "llama-gguf: " << f.error().message() << "\n";
    return 1;
  }
  const GGUFTensor *t = (*f)->view().findTensor(tensor);
  if (!t) {
    std::cerr << "llama-gguf: " << path << ": no tensor named '" << tensor
              << "'\n";
    return 1;
  }
  if (!isDecodedGGMLType(t->type)) {
    std::cerr << "llama-gguf: " << path << ": tensor '" << printable(tensor)
              << "' is " << ggmlTypeLabel(t->type)
              << ", a type llama-gguf cannot decode yet (it decodes "
              << decodedGGMLTypeNames() << ")\n";
    return 1;
  }
  if (Error e = checkNotInput("-o", out, path)) {
    std::cerr << "llama-gguf: dequant: " << e.message() << "\n";
    return 2;
  }
  Expected<AtomicOutputFile> o = AtomicOutputFile::create(out);
  if (!o) {
    std::cerr << "llama-gguf: dequant: -o " << o.error().message() << "\n";
    return 1;
  }
  uint64_t rowBytes = t->nbytes / t->rows();
  std::vector<float> row(t->ne[0]);
  for (uint64_t r = 0; r < t->rows(); ++r) {
    dequantizeRow(t->type, t->data + r * rowBytes, row.data(),
                  static_cast<int64_t>(t->ne[0]));
    if (Error e = writeChecked(o->stream(), row.data(), row.size() * 4, out)) {
      std::cerr << "llama-gguf: " << e.message() << "\n";
      return 1;
    }
  }
  if (Error e = o->commit()) {
    std::cerr << "llama-gguf: " << e.message() << "\n";
    return 1;
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2)
    return usage("a command is required");
  // A file truncated while it is read: one line naming it, exit 1.
  installMappingGuard(argv[0]);
  std::string cmd = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  // `llama-gguf -h`, `llama-gguf help` and `llama-gguf CMD -h|--help`.
  bool help = cmd == "-h" || cmd == "--help" || cmd == "help";
  for (const std::string &a : args)
    help |= a == "-h" || a == "--help";
  if (help) {
    std::cout << kUsage;
    return 0;
  }
  if (cmd == "info")
    return cmdInfo(args);
  if (cmd == "gen")
    return cmdGen(args);
  if (cmd == "dequant")
    return cmdDequant(args);
  return usage("unknown command '" + cmd + "'");
}
