//===- CPUFeatures.cpp - What the processor can execute ---------*- C++ -*-===//

#include "runtime/core/CPUFeatures.h"

#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

namespace llamart {

const std::vector<CPUFeatureInfo> &knownCPUFeatures() {
  static const std::vector<CPUFeatureInfo> features = {
      {"avx", "x86_64", "avx"},
      {"avx2", "x86_64", "avx2"},
      {"fma", "x86_64", "fma"},
      {"f16c", "x86_64", "f16c"},
      {"avx512f", "x86_64", "avx512f"},
      {"avx512bw", "x86_64", "avx512bw"},
      {"avx512dq", "x86_64", "avx512dq"},
      {"avx512vl", "x86_64", "avx512vl"},
      {"avx512vnni", "x86_64", "avx512vnni"},
      {"avx512bf16", "x86_64", "avx512bf16"},
      {"avxvnni", "x86_64", "avxvnni"},
      {"amx_tile", "x86_64", "amx-tile"},
      {"amx_int8", "x86_64", "amx-int8"},
      {"asimd", "aarch64", "neon"},
      {"asimddp", "aarch64", "dotprod"},
      {"fphp", "aarch64", "fullfp16"},
      {"i8mm", "aarch64", "i8mm"},
      {"bf16", "aarch64", "bf16"},
      {"sve", "aarch64", "sve"},
      {"sve2", "aarch64", "sve2"},
  };
  return features;
}

const CPUFeatureInfo *findCPUFeature(const std::string &arch,
                                     const std::string &name) {
  for (const CPUFeatureInfo &f : knownCPUFeatures())
    if (arch == f.arch && (name == f.name || name == f.llvmFeature))
      return &f;
  return nullptr;
}

namespace {

#if defined(__x86_64__)
/// Whether this process may use the AMX tile registers: the OS saves their
/// state (XCR0 bits 17, 18) and, on Linux, grants the 8 KiB of tile data to
/// a process only when it asks (arch_prctl ARCH_REQ_XCOMP_PERM, Linux
/// 5.16+; without it the first tile instruction raises SIGILL). Asking is
/// idempotent and covers every thread of the process.
bool osAMXPermitted(uint64_t xcr0) {
  if ((xcr0 & 0x60000) != 0x60000)
    return false;
#if defined(__linux__)
  constexpr long kReqXCompPerm = 0x1023, kXFeatureTileData = 18;
  return syscall(SYS_arch_prctl, kReqXCompPerm, kXFeatureTileData) == 0;
#else
  return false;
#endif
}

bool hasFeature(const std::string &name) {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d))
    return false;
  const unsigned ecx1 = c;
  bool osxsave = ecx1 & (1u << 27);
  uint64_t xcr0 = 0;
  if (osxsave) {
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    xcr0 = (uint64_t(hi) << 32) | lo;
  }
  // The OS saves the YMM (and for AVX-512 the opmask and ZMM) state.
  bool osAVX = (xcr0 & 0x6) == 0x6;
  bool osAVX512 = osAVX && (xcr0 & 0xe0) == 0xe0;
  unsigned ebx7 = 0, ecx7 = 0, edx7 = 0, eax71 = 0;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    ebx7 = b;
    ecx7 = c;
    edx7 = d;
  }
  if (__get_cpuid_count(7, 1, &a, &b, &c, &d))
    eax71 = a;
  auto bit = [](unsigned r, int n) { return (r >> n) & 1u; };
  if (name == "avx")
    return osAVX && bit(ecx1, 28);
  if (name == "fma")
    return osAVX && bit(ecx1, 12);
  if (name == "f16c")
    return osAVX && bit(ecx1, 29);
  if (name == "avx2")
    return osAVX && bit(ebx7, 5);
  if (name == "avxvnni")
    return osAVX && bit(eax71, 4);
  if (name == "avx512f")
    return osAVX512 && bit(ebx7, 16);
  if (name == "avx512dq")
    return osAVX512 && bit(ebx7, 17);
  if (name == "avx512bw")
    return osAVX512 && bit(ebx7, 30);
  if (name == "avx512vl")
    return osAVX512 && bit(ebx7, 31);
  if (name == "avx512vnni")
    return osAVX512 && bit(ecx7, 11);
  if (name == "avx512bf16")
    return osAVX512 && bit(eax71, 5);
  if (name == "amx_tile" || name == "amx_int8")
    return bit(edx7, 24) && (name == "amx_tile" || bit(edx7, 25)) &&
           osAMXPermitted(xcr0);
  return false;
}
#elif defined(__aarch64__) && defined(__linux__)
bool hasFeature(const std::string &name) {
  // Bit positions of the Linux arm64 hwcaps (asm/hwcap.h).
  unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
  if (name == "asimd")
    return hw & (1ul << 1);
  if (name == "fphp")
    return hw & (1ul << 9);
  if (name == "asimddp")
    return hw & (1ul << 20);
  if (name == "sve")
    return hw & (1ul << 22);
  if (name == "sve2")
    return hw2 & (1ul << 1);
  if (name == "i8mm")
    return hw2 & (1ul << 13);
  if (name == "bf16")
    return hw2 & (1ul << 14);
  return false;
}
#else
bool hasFeature(const std::string &) { return false; }
#endif

} // namespace

std::vector<std::string>
missingCPUFeatures(const std::vector<std::string> &required) {
  std::vector<std::string> missing;
  for (const std::string &f : required)
    if (!hasFeature(f))
      missing.push_back(f);
  return missing;
}

} // namespace llamart
