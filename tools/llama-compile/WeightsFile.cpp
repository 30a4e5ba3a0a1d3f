//===- WeightsFile.cpp - Writes PROGRAM.weights -----------------*- C++ -*-===//
//
// Implements WeightsFile.h: the header and table of llama_abi.h, then each
// weight at the next multiple of LLAMA_ABI_WEIGHTS_ALIGN, packed by
// PackedWeights.h where its table entry names a layout. Weights are packed
// one at a time (each on several threads) into one reused buffer, so
// memory stays at the largest weight whatever the model's size.
//
//===----------------------------------------------------------------------===//

#include "WeightsFile.h"

#include "llama-mlir/ABI/llama_abi.h"
#include "llama-mlir/Codegen/PackedWeights.h"
#include "runtime/core/FileIO.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/Parallel.h"
#include "llvm/Support/xxhash.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

using namespace mlir;
using llamart::Error;
using llamart::ErrorCode;

namespace {

struct Entry {
  std::string name, layout;
  const llamart::GGUFTensor *tensor = nullptr;
  uint64_t offset = 0;
};

uint64_t alignUp(uint64_t v) {
  uint64_t a = LLAMA_ABI_WEIGHTS_ALIGN;
  return (v + a - 1) / a * a;
}

/// A weight's rows16 packing, its 16-row tiles split into one range per
/// core (up to 4; about a million elements at least a range) that LLVM's
/// thread pool packs at once: packing is most of the weights file's time
/// (a 7B model's 3.9 GB), and the tiles are independent. The bytes do not
/// depend on the split.
void packInParallel(const llamart::GGUFTensor &t, uint8_t *dst) {
  auto type = static_cast<uint32_t>(t.type);
  auto k = static_cast<int64_t>(t.ne[0]);
  auto rows = static_cast<int64_t>(t.rows());
  int64_t tiles = rows / 16;
  int64_t ranges =
      std::clamp<int64_t>(std::thread::hardware_concurrency(), 1, 4);
  ranges = std::clamp<int64_t>((rows * k) >> 20, 1, ranges);
  int64_t per = (tiles + ranges - 1) / ranges;
  llvm::parallelFor(0, ranges, [&](size_t i) {
    int64_t first = static_cast<int64_t>(i) * per;
    llama_mlir::packed::packRows16Tiles(type, k, t.data, dst, first,
                                        std::min(tiles, first + per));
  });
}

} // namespace

bool mlir::llama::needsWeightsFile(ModuleOp module) {
  auto table = module->getAttrOfType<ArrayAttr>("llama.weight_table");
  return table && llvm::any_of(table, [](Attribute a) {
           return cast<DictionaryAttr>(a).get("layout") != nullptr;
         });
}

llamart::Expected<mlir::llama::WeightsFileInfo>
mlir::llama::writeWeightsFile(ModuleOp module, const llamart::GGUFView &gguf,
                              const std::string &path) {
  auto table = module->getAttrOfType<ArrayAttr>("llama.weight_table");
  std::vector<Entry> entries;
  uint64_t end = sizeof(llama_abi_weights_header);
  end += table.size() * sizeof(llama_abi_weights_entry);
  for (Attribute a : table) {
    auto d = cast<DictionaryAttr>(a);
    Entry e;
    e.name = cast<StringAttr>(d.get("name")).getValue().str();
    if (auto l = dyn_cast_or_null<StringAttr>(d.get("layout")))
      e.layout = l.getValue().str();
    e.tensor = gguf.findTensor(e.name);
    if (!e.tensor)
      return Error(ErrorCode::MissingTensor,
                   gguf.name() + ": no tensor '" + e.name + "'");
    if (!e.layout.empty() &&
        (e.layout != llama_mlir::packed::kRows16 ||
         !llama_mlir::packed::hasRows16(static_cast<uint32_t>(e.tensor->type),
                                        static_cast<int64_t>(e.tensor->rows()),
                                        static_cast<int64_t>(e.tensor->ne[0]))))
      return Error(ErrorCode::Unsupported,
                   "weight '" + e.name + "': no '" + e.layout +
                       "' layout for its type and shape");
    e.offset = alignUp(end);
    end = e.offset + e.tensor->nbytes;
    entries.push_back(std::move(e));
  }

  std::optional<llamart::AtomicOutputFile> out;
  if (!path.empty()) {
    llamart::Expected<llamart::AtomicOutputFile> f =
        llamart::AtomicOutputFile::create(path);
    if (!f)
      return f.error();
    out.emplace(std::move(*f));
    if (Error e = out->reserve(end))
      return e;
  }
  // The header's hash is known only at the end: a zero header first, the
  // real one rewritten in place.
  std::vector<uint8_t> buf, hashes;
  uint64_t at = 0;
  auto write = [&](const void *p, size_t n) -> Error {
    at += n;
    return out ? llamart::writeChecked(out->stream(), p, n, path)
               : Error::success();
  };
  llama_abi_weights_header h{};
  std::memcpy(h.magic, LLAMA_ABI_WEIGHTS_MAGIC, sizeof(h.magic));
  h.file_bytes = end;
  h.n_weights = entries.size();
  if (Error e = write(&h, sizeof(h)))
    return e;
  for (const Entry &e : entries) {
    llama_abi_weights_entry te{e.offset, e.tensor->nbytes};
    if (Error err = write(&te, sizeof(te)))
      return err;
  }
  static const uint8_t zeros[LLAMA_ABI_WEIGHTS_ALIGN] = {};
  for (const Entry &e : entries) {
    if (Error err = write(zeros, e.offset - at))
      return err;
    const uint8_t *bytes = e.tensor->data;
    if (!e.layout.empty()) {
      buf.resize(e.tensor->nbytes);
      packInParallel(*e.tensor, buf.data());
      bytes = buf.data();
    }
    uint8_t le[8];
    llvm::support::endian::write64le(
        le, llvm::xxh3_64bits(llvm::ArrayRef(bytes, e.tensor->nbytes)));
    hashes.insert(hashes.end(), le, le + 8);
    if (Error err = write(bytes, e.tensor->nbytes))
      return err;
  }
  h.content_hash = llvm::xxh3_64bits(hashes);
  if (out) {
    if (std::fseek(out->stream(), 0, SEEK_SET) != 0)
      return Error(ErrorCode::Io, path + ": seek failed");
    if (Error e = write(&h, sizeof(h)))
      return e;
    if (Error e = out->commit())
      return e;
  }
  return WeightsFileInfo{h.content_hash, end};
}

llamart::Error mlir::llama::packWeightsFile(ModuleOp module,
                                            const llamart::GGUFView &gguf,
                                            const std::string &out,
                                            const std::string &input,
                                            std::string &manifest) {
  std::string path = out == "-" ? "" : out + LLAMA_ABI_WEIGHTS_SUFFIX;
  if (!path.empty())
    if (Error e = llamart::checkNotInput("-o", path, input))
      return e;
  llamart::Expected<WeightsFileInfo> w = writeWeightsFile(module, gguf, path);
  if (!w)
    return w.error();
  char line[64];
  std::snprintf(line, sizeof(line), "%016llx %llu",
                static_cast<unsigned long long>(w->hash),
                static_cast<unsigned long long>(w->bytes));
  manifest += LLAMA_ABI_MANIFEST_WEIGHTS_FILE " " + std::string(line) + "\n";
  return Error::success();
}
