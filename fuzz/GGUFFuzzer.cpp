//===- GGUFFuzzer.cpp - libFuzzer target for the GGUF reader ----*- C++ -*-===//
//
// Feeds arbitrary bytes to the GGUF parser, the Llama validation, the info
// printer and the dequantizers (first row of every tensor). Built with
// -fsanitize=fuzzer,address,undefined by fuzz/CMakeLists.txt; run by
// scripts/fuzz.sh with a seed corpus written by `llama-gguf gen`.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/GGUFTools/Info.h"
#include "runtime/gguf/GGUF.h"
#include "runtime/gguf/LlamaHParams.h"
#include "runtime/gguf/Quant.h"

#include <sstream>
#include <vector>

using namespace llamart;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Expected<GGUFView> view = GGUFView::parse(data, size, "fuzz.gguf");
  if (!view)
    return 0;
  std::vector<Error> errors;
  (void)readLlamaHParams(*view, &errors);
  std::ostringstream out, err;
  printGGUFInfo(*view, /*json=*/(size & 1) != 0, /*validate=*/true, out, err);
  std::vector<float> row;
  for (const GGUFTensor &t : view->tensors()) {
    if (t.ne[0] > (1u << 16) || !isDecodedGGMLType(t.type))
      continue;
    row.resize(t.ne[0]);
    dequantizeRow(t.type, t.data, row.data(), static_cast<int64_t>(t.ne[0]));
  }
  return 0;
}
