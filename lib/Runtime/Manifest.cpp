//===- Manifest.cpp - What a produced program was compiled for --*- C++ -*-===//
//
// Implements Manifest.h.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Runtime/Manifest.h"
#include "llama-mlir/Runtime/LlamaHParams.h"

#include <cmath>
#include <sstream>

namespace llamart {

Expected<Manifest> parseManifest(const char *text) {
  Manifest m;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  if (line != "llama-mlir manifest 1")
    return Error(ErrorCode::Unsupported, "unknown program manifest format");
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string kind;
    ls >> kind;
    if (kind == "hparam") {
      std::string key;
      double v;
      ls >> key >> v;
      m.hparams[key] = v;
    } else if (kind == "kv_type") {
      ls >> m.kvType;
    } else if (kind == "target") {
      ls >> m.target >> m.triple;
    } else if (kind == "cpu_features") {
      std::string f;
      while (ls >> f)
        m.cpuFeatures.push_back(f);
    } else if (kind == "gpu_device_only_args" || kind == "gpu_host_only_args") {
      auto &args = kind == "gpu_device_only_args" ? m.gpuDeviceOnlyArgs
                                                  : m.gpuHostOnlyArgs;
      int64_t a;
      while (ls >> a)
        args.push_back(a);
    } else if (kind == "weight") {
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

static const char *typeName(uint32_t id) {
  const GGMLTypeTraits *t = lookupGGMLType(id);
  return t ? t->name : "?";
}

Error bindWeights(const Manifest &m, const GGUFView &file,
                  std::vector<int64_t> &offsets) {
  std::vector<Error> errors;
  Expected<LlamaHParams> hp = readLlamaHParams(file, &errors);
  if (!hp)
    return hp.error();
  const std::pair<const char *, int64_t> checks[] = {
      {"dim", hp->dim},
      {"hidden_dim", hp->hiddenDim},
      {"n_layers", hp->nLayers},
      {"n_heads", hp->nHeads},
      {"n_kv_heads", hp->nKVHeads},
      {"head_dim", hp->headDim},
      {"n_rot", hp->nRot},
      {"n_vocab", hp->nVocab}};
  for (auto [key, v] : checks)
    if (m.hparam(key) != v)
      return Error(ErrorCode::ShapeMismatch,
                   file.name() + ": hyperparameter " + key + " is " +
                       std::to_string(v) +
                       " but the program was compiled for " +
                       std::to_string(m.hparam(key)));
  for (auto [key, v] :
       {std::pair<const char *, double>{"rope_theta", hp->ropeTheta},
        std::pair<const char *, double>{"rms_eps", hp->rmsEps}}) {
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
