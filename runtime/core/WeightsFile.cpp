//===- WeightsFile.cpp - The packed weights a program maps ------*- C++ -*-===//
//
// Implements WeightsFile.h.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/WeightsFile.h"

#include "llama-mlir/ABI/llama_abi.h"
#include "runtime/core/FileIO.h"
#include "runtime/gguf/GGMLType.h"

#include <cerrno>
#include <cinttypes>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace llamart {

std::string defaultWeightsPath() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0)
    return "";
  return std::string(buf, static_cast<size_t>(n)) + LLAMA_ABI_WEIGHTS_SUFFIX;
}

static std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof(b), "%016" PRIx64, v);
  return b;
}

/// The bytes of weight `w` (the GGUF's; every packed layout keeps them).
static uint64_t weightBytes(const ManifestWeight &w) {
  const GGMLTypeTraits *t = lookupGGMLType(w.type);
  if (!t || w.ne.empty() || w.ne[0] % t->blockSize != 0)
    return 0;
  uint64_t rows = 1;
  for (size_t i = 1; i < w.ne.size(); ++i)
    rows *= w.ne[i];
  return rows * (w.ne[0] / t->blockSize) * t->bytesPerBlock;
}

Expected<std::unique_ptr<WeightsFile>>
WeightsFile::open(const std::string &path, const Manifest &m) {
  auto bad = [&](const std::string &what) {
    return Error(ErrorCode::BadTensorData, path + ": " + what);
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return Error(ErrorCode::Io,
                 path + ": cannot open the program's packed weights: " +
                     std::strerror(errno) +
                     " (llama-compile writes them next to the program; "
                     "--weights FILE names another place)");
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error(ErrorCode::Io, path + ": not a regular file");
  }
  size_t size = static_cast<size_t>(st.st_size);
  llama_abi_weights_header h;
  if (size < sizeof(h) ||
      pread(fd, &h, sizeof(h), 0) != static_cast<ssize_t>(sizeof(h)) ||
      std::memcmp(h.magic, LLAMA_ABI_WEIGHTS_MAGIC, sizeof(h.magic)) != 0) {
    ::close(fd);
    return bad("not a llama-mlir packed weights file");
  }
  if (h.content_hash != m.weightsHash || size != m.weightsBytes ||
      h.file_bytes != size) {
    ::close(fd);
    return bad("these packed weights (hash " + hex(h.content_hash) + ", " +
               std::to_string(size) +
               " bytes) do not belong to this program, which was compiled "
               "with weights of hash " +
               hex(m.weightsHash) + ", " + std::to_string(m.weightsBytes) +
               " bytes; recompile it or pass its own file with --weights");
  }
  if (h.n_weights != m.weights.size()) {
    ::close(fd);
    return bad("holds " + std::to_string(h.n_weights) +
               " weights, the program binds " +
               std::to_string(m.weights.size()));
  }
  std::unique_ptr<WeightsFile> f(new WeightsFile());
  f->size_ = size;
  void *map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED)
    return Error(ErrorCode::Io, path + ": cannot map: " + std::strerror(errno));
  f->map_ = map;
  guardMapping(map, size, path);
  const auto *table =
      reinterpret_cast<const llama_abi_weights_entry *>(f->data() + sizeof(h));
  if (sizeof(h) + h.n_weights * sizeof(*table) > size)
    return bad("its weight table runs past the end of the file");
  for (size_t i = 0; i < m.weights.size(); ++i) {
    uint64_t off = table[i].offset, n = table[i].bytes;
    uint64_t want = weightBytes(m.weights[i]);
    if (n != want || off % LLAMA_ABI_WEIGHTS_ALIGN != 0 || off > size ||
        n > size - off || off > static_cast<uint64_t>(INT64_MAX))
      return bad("weight '" + m.weights[i].name + "' (entry " +
                 std::to_string(i) + ") has " + std::to_string(n) +
                 " bytes at offset " + std::to_string(off) + "; expected " +
                 std::to_string(want) + " aligned bytes inside the file");
    f->offsets_.push_back(static_cast<int64_t>(off));
  }
  return f;
}

WeightsFile::~WeightsFile() {
  if (map_) {
    unguardMapping(map_);
    munmap(map_, size_);
  }
}

} // namespace llamart
