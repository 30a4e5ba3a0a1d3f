//===- Manifest.cpp - What a produced program was compiled for --*- C++ -*-===//
//
// Implements Manifest.h.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/Manifest.h"
#include "runtime/gguf/LlamaHParams.h"

#include <cmath>
#include <sstream>

namespace llamart {

Expected<Manifest> parseManifest(const char *text) {
  Manifest m;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  if (line != LLAMA_ABI_MANIFEST_HEADER)
    return Error(ErrorCode::Unsupported, "unknown program manifest format");
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string kind;
    ls >> kind;
    if (kind == LLAMA_ABI_MANIFEST_HPARAM) {
      std::string key;
      double v;
      ls >> key >> v;
      m.hparams[key] = v;
    } else if (kind == LLAMA_ABI_MANIFEST_KV_TYPE) {
      ls >> m.kvType;
    } else if (kind == LLAMA_ABI_MANIFEST_TARGET) {
      ls >> m.target >> m.triple;
    } else if (kind == LLAMA_ABI_MANIFEST_CPU_FEATURES) {
      std::string f;
      while (ls >> f)
        m.cpuFeatures.push_back(f);
    } else if (kind == LLAMA_ABI_MANIFEST_GPU_DEVICE_ONLY_ARGS ||
               kind == LLAMA_ABI_MANIFEST_GPU_HOST_ONLY_ARGS) {
      auto &args = kind == LLAMA_ABI_MANIFEST_GPU_DEVICE_ONLY_ARGS
                       ? m.gpuDeviceOnlyArgs
                       : m.gpuHostOnlyArgs;
      int64_t a;
      while (ls >> a)
        args.push_back(a);
    } else if (kind == LLAMA_ABI_MANIFEST_INT_DOT) {
      ls >> m.intDot;
      std::string name;
      while (ls >> name)
        if (std::optional<GGMLType> t = parseGGMLTypeName(name.c_str()))
          m.intDotTypes.push_back(static_cast<uint32_t>(*t));
    } else if (kind == LLAMA_ABI_MANIFEST_WEIGHTS_FILE) {
      ls >> std::hex >> m.weightsHash >> std::dec >> m.weightsBytes;
    } else if (kind == LLAMA_ABI_MANIFEST_WEIGHT) {
      ManifestWeight w;
      ls >> w.name >> w.type;
      uint64_t d;
      while (ls >> d)
        w.ne.push_back(d);
      m.weights.push_back(w);
    }
  }
  return m;
}

static std::string shapeStr(const std::vector<uint64_t> &ne) {
  std::string s = "[";
  for (size_t i = 0; i < ne.size(); ++i)
    s += (i ? ", " : "") + std::to_string(ne[i]);
  return s + "]";
}

static std::string typeName(uint32_t id) {
  const GGMLTypeTraits *t = lookupKnownGGMLType(id);
  return t ? ggmlTypeLabel(t->type) : "ggml_type " + std::to_string(id);
}

Error bindWeights(const Manifest &m, const GGUFView &file,
                  std::vector<int64_t> &offsets) {
  std::vector<Error> errors;
  Expected<LlamaHParams> hp = readLlamaHParams(file, &errors);
  if (!hp)
    return hp.error();
  const std::pair<const char *, int64_t> checks[] = {
      {LLAMA_ABI_HPARAM_DIM, hp->dim},
      {LLAMA_ABI_HPARAM_HIDDEN_DIM, hp->hiddenDim},
      {LLAMA_ABI_HPARAM_N_LAYERS, hp->nLayers},
      {LLAMA_ABI_HPARAM_N_HEADS, hp->nHeads},
      {LLAMA_ABI_HPARAM_N_KV_HEADS, hp->nKVHeads},
      {LLAMA_ABI_HPARAM_HEAD_DIM, hp->headDim},
      {LLAMA_ABI_HPARAM_N_ROT, hp->nRot},
      {LLAMA_ABI_HPARAM_N_VOCAB, hp->nVocab}};
  for (auto [key, v] : checks)
    if (m.hparam(key) != v)
      return Error(ErrorCode::ShapeMismatch,
                   file.name() + ": hyperparameter " + key + " is " +
                       std::to_string(v) +
                       " but the program was compiled for " +
                       std::to_string(m.hparam(key)));
  for (auto [key, v] : {std::pair<const char *, double>{
                            LLAMA_ABI_HPARAM_ROPE_THETA, hp->ropeTheta},
                        std::pair<const char *, double>{
                            LLAMA_ABI_HPARAM_RMS_EPS, hp->rmsEps}}) {
    auto it = m.hparams.find(key);
    if (it != m.hparams.end() &&
        std::fabs(it->second - v) > 1e-6 * std::fabs(v) + 1e-12)
      return Error(ErrorCode::ShapeMismatch,
                   file.name() + ": hyperparameter " + key + " is " +
                       std::to_string(v) +
                       " but the program was compiled for " +
                       std::to_string(it->second));
  }
  // The generated code applies no RoPE frequency scaling (llama-compile
  // refuses files that ask for it): such a file would give wrong logits.
  if (hp->ropeScaling != "none")
    return Error(ErrorCode::ShapeMismatch,
                 file.name() + ": key 'llama.rope.scaling.type' is '" +
                     printable(hp->ropeScaling) +
                     "' but the program was compiled without RoPE scaling");
  offsets.clear();
  for (const ManifestWeight &w : m.weights) {
    const GGUFTensor *t = file.findTensor(w.name);
    if (!t)
      return Error(ErrorCode::MissingTensor,
                   file.name() + ": tensor '" + w.name +
                       "' that the program was compiled for is missing");
    if (static_cast<uint32_t>(t->type) != w.type)
      return Error(ErrorCode::ShapeMismatch,
                   file.name() + ": tensor '" + w.name + "' has type " +
                       typeName(static_cast<uint32_t>(t->type)) +
                       " but the program was compiled for " + typeName(w.type));
    std::vector<uint64_t> ne(t->ne, t->ne + t->nDims);
    if (ne != w.ne)
      return Error(ErrorCode::ShapeMismatch,
                   file.name() + ": tensor '" + w.name + "' has shape " +
                       shapeStr(ne) + " but the program was compiled for " +
                       shapeStr(w.ne));
    offsets.push_back(static_cast<int64_t>(file.dataOffset() + t->offset));
  }
  return Error::success();
}

} // namespace llamart
