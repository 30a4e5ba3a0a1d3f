//===- CPUTargets.cpp - The CPU targets of llama-compile --------*- C++ -*-===//

#include "llama-mlir/Target/CPUTargets.h"
#include "llama-mlir/Codegen/KernelConfig.h"
#include "runtime/core/CPUFeatures.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

using namespace mlir::llama;

static const char *kX86 = "x86_64-unknown-linux-gnu";
static const char *kArm = "aarch64-unknown-linux-gnu";

/// What the pipeline does with the target's features, in one place for the
/// named table, the host and explicit triples: the integer dot product,
/// scalable vectors on SVE, with AVX-512 512-bit vectors and 8-token
/// prefill blocks (32 vector registers), with AVX-512 VNNI packed tiles of
/// 16 rows.
/// The kernel table row of the target's features, and the vector width.
static void deriveKernelChoices(CPUTarget &t) {
  t.kernels = &selectCPUKernelTarget(t.cpuFeatures);
  if (llvm::is_contained(t.cpuFeatures, "avx512f"))
    t.vectorBits = 512;
}

std::vector<CPUTarget> mlir::llama::namedCPUTargets() {
  std::vector<std::string> avx2 = {"avx", "avx2", "fma", "f16c"};
  std::vector<std::string> avxvnni = avx2;
  avxvnni.push_back("avxvnni");
  std::vector<std::string> avx512 = avx2;
  for (const char *f : {"avx512f", "avx512bw", "avx512dq", "avx512vl"})
    avx512.push_back(f);
  std::vector<std::string> vnni = avx512;
  vnni.push_back("avx512vnni");
  std::vector<std::string> amx = vnni;
  amx.push_back("amx_tile");
  amx.push_back("amx_int8");
  // clang-format off
  // name, triple, LLVM CPU, LLVM features, runtime-checked features,
  // vector bits, arch, description
  std::vector<CPUTarget> targets = {
      {"x86-64", kX86, "x86-64", "", {}, 128, "x86_64",
       "baseline x86-64 (SSE2): runs on any x86-64 CPU"},
      {"avx2", kX86, "x86-64-v3", "", avx2, 256, "x86_64",
       "AVX2 + FMA + F16C (Haswell and later, Zen)"},
      {"avx2-vnni", kX86, "x86-64-v3", "+avxvnni", avxvnni, 256, "x86_64",
       "avx2 + AVX-VNNI (Alder Lake and later client cores, Sierra "
       "Forest)"},
      {"avx512", kX86, "x86-64-v4", "", avx512, 512, "x86_64",
       "AVX-512 F/BW/DQ/VL with 512-bit vectors (Skylake-SP and later, "
       "Zen 4)"},
      {"avx512-vnni", kX86, "x86-64-v4", "+avx512vnni", vnni, 512, "x86_64",
       "avx512 + VNNI (Cascade Lake and later, Zen 4)"},
      {"avx512-amx", kX86, "x86-64-v4", "+avx512vnni,+amx-tile,+amx-int8",
       amx, 512, "x86_64",
       "avx512-vnni + AMX-INT8 tiles for prefill (Sapphire Rapids and "
       "later Xeons)"},
      {"neon", kArm, "generic", "+neon", {"asimd"}, 128, "aarch64",
       "AArch64 Advanced SIMD (every ARMv8-A core)"},
      {"neon-dotprod", kArm, "generic", "+neon,+dotprod", {"asimd", "asimddp"},
       128, "aarch64",
       "neon + SDOT/UDOT (ARMv8.2-A+: Cortex-A55/A76, Graviton 2, Apple M)"},
      {"sve", kArm, "generic", "+neon,+sve", {"asimd", "sve"}, 128,
       "aarch64", "neon + SVE (Graviton 3, A64FX, Neoverse V1)"},
      {"sve2", kArm, "generic", "+neon,+sve,+sve2", {"asimd", "sve", "sve2"},
       128, "aarch64", "sve + SVE2 (ARMv9-A: Neoverse N2/V2, Cortex-X2)"},
  };
  // clang-format on
  for (CPUTarget &t : targets)
    deriveKernelChoices(t);
  return targets;
}

/// The target of this machine: the host's CPU and every feature it has;
/// the runtime checks those of them it knows.
static std::optional<CPUTarget> hostTarget(std::string &error) {
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string arch = triple.getArch() == llvm::Triple::x86_64    ? "x86_64"
                     : triple.getArch() == llvm::Triple::aarch64 ? "aarch64"
                                                                 : "";
  if (arch.empty()) {
    error = "the host architecture " + triple.getArchName().str() +
            " is not supported (x86_64 and aarch64 are)";
    return std::nullopt;
  }
  CPUTarget t;
  t.name = "host";
  t.triple = triple.str();
  t.cpu = llvm::sys::getHostCPUName().str();
  t.arch = arch;
  t.description = "this machine's CPU (" + t.cpu + ") with all its features";
  for (auto &f : llvm::sys::getHostCPUFeatures()) {
    if (!f.second)
      continue;
    t.llvmFeatures += (t.llvmFeatures.empty() ? "+" : ",+") + f.first().str();
    if (const llamart::CPUFeatureInfo *info =
            llamart::findCPUFeature(arch, f.first().str()))
      t.cpuFeatures.push_back(info->name);
  }
  t.vectorBits = 256;
  deriveKernelChoices(t);
  return t;
}

static std::optional<CPUTarget> findNamedCPUTarget(llvm::StringRef name) {
  for (CPUTarget &t : namedCPUTargets())
    if (t.name == name)
      return t;
  return std::nullopt;
}

std::optional<CPUTarget> mlir::llama::resolveCPUTarget(const std::string &spec,
                                                       std::string &error) {
  if (spec == "host")
    return hostTarget(error);
  if (std::optional<CPUTarget> t = findNamedCPUTarget(spec))
    return t;
  // TRIPLE[+feature...]
  llvm::SmallVector<llvm::StringRef> parts;
  llvm::StringRef(spec).split(parts, '+');
  llvm::Triple triple(llvm::Triple::normalize(parts[0]));
  CPUTarget t;
  if (triple.getArch() == llvm::Triple::x86_64 && triple.isOSLinux()) {
    t = *findNamedCPUTarget("x86-64");
  } else if (triple.getArch() == llvm::Triple::aarch64 && triple.isOSLinux()) {
    t = *findNamedCPUTarget("neon");
  } else {
    error = "unknown target '" + spec +
            "': expected one of llama-compile --list-targets, or "
            "TRIPLE[+feature...] with an x86_64 or aarch64 Linux triple";
    return std::nullopt;
  }
  t.name = spec;
  t.triple = triple.str();
  t.description = "explicit triple and features";
  for (llvm::StringRef f : llvm::drop_begin(parts)) {
    const llamart::CPUFeatureInfo *info =
        llamart::findCPUFeature(t.arch, f.str());
    if (!info) {
      std::string known;
      for (const llamart::CPUFeatureInfo &k : llamart::knownCPUFeatures())
        if (t.arch == k.arch)
          known += std::string(known.empty() ? "" : ", ") + k.llvmFeature;
      error = "target '" + spec + "': unknown " + t.arch + " feature '" +
              f.str() + "' (known: " + known + ")";
      return std::nullopt;
    }
    t.llvmFeatures +=
        (t.llvmFeatures.empty() ? "+" : ",+") + std::string(info->llvmFeature);
    if (!llvm::is_contained(t.cpuFeatures, info->name))
      t.cpuFeatures.push_back(info->name);
  }
  deriveKernelChoices(t);
  return t;
}
