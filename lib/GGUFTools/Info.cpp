//===- Info.cpp - Describe a GGUF file --------------------------*- C++ -*-===//
//
// Implements Info.h for `llama-gguf info`.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/GGUFTools/Info.h"
#include "runtime/gguf/LlamaHParams.h"

#include <cstdio>
#include <map>
#include <sstream>

namespace llamart {

namespace {

constexpr size_t kArrayPreview = 8;

std::string jsonString(std::string_view s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    switch (c) {
    case '"': o += "\\\""; break;
    case '\\': o += "\\\\"; break;
    case '\n': o += "\\n"; break;
    case '\r': o += "\\r"; break;
    case '\t': o += "\\t"; break;
    default:
      if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\u%04x", c);
        o += buf;
      } else {
        o += static_cast<char>(c); // UTF-8 passes through
      }
    }
  }
  return o + "\"";
}

std::string number(double f) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.9g", f);
  std::string s = buf;
  if (s == "nan" || s == "-nan" || s == "inf" || s == "-inf")
    return "null"; // not representable in JSON
  return s;
}

/// A value as text (json: JSON syntax); arrays show their first elements.
std::string valueString(const GGUFValue &v, bool json, bool full = false) {
  switch (v.type) {
  case GGUFType::String:
    return jsonString(v.str);
  case GGUFType::Bool:
    return v.u ? "true" : "false";
  case GGUFType::F32:
  case GGUFType::F64:
    return number(v.f);
  case GGUFType::Array: {
    std::string s = "[";
    size_t shown = full ? v.elems.size()
                        : std::min(kArrayPreview, v.elems.size());
    for (size_t k = 0; k < shown; ++k)
      s += (k ? ", " : "") + valueString(v.elems[k], json, full);
    if (shown < v.elems.size())
      s += json ? "" : ", ... (" + std::to_string(v.elems.size()) + " total)";
    return s + "]";
  }
  default:
    if (v.type == GGUFType::I8 || v.type == GGUFType::I16 ||
        v.type == GGUFType::I32 || v.type == GGUFType::I64)
      return std::to_string(v.i);
    return std::to_string(v.u);
  }
}

} // namespace

bool printGGUFInfo(const GGUFView &f, bool json, bool validate,
                   std::ostream &out, std::ostream &err) {
  std::map<std::string, std::pair<uint64_t, uint64_t>> hist; // type -> n, bytes
  uint64_t params = 0, bytes = 0;
  for (const GGUFTensor &t : f.tensors()) {
    auto &h = hist[getGGMLTypeTraits(t.type).name];
    h.first++;
    h.second += t.nbytes;
    params += t.numElements;
    bytes += t.nbytes;
  }
  std::vector<Error> errors;
  Expected<LlamaHParams> hp = Error(ErrorCode::Ok, "");
  if (validate)
    hp = readLlamaHParams(f, &errors);

  if (json) {
    out << "{\n  \"file\": " << jsonString(f.name())
        << ",\n  \"version\": " << f.version()
        << ",\n  \"alignment\": " << f.alignment()
        << ",\n  \"data_offset\": " << f.dataOffset()
        << ",\n  \"file_size\": " << f.fileSize() << ",\n  \"metadata\": {";
    bool first = true;
    for (const GGUFKeyValue &kv : f.metadata()) {
      out << (first ? "\n" : ",\n") << "    " << jsonString(kv.key) << ": ";
      // Arrays are abbreviated in JSON too: their length and first items.
      if (kv.value.type == GGUFType::Array)
        out << "{\"type\": \"array\", \"element_type\": \""
            << ggufTypeName(kv.value.elemType)
            << "\", \"length\": " << kv.value.elems.size()
            << ", \"first\": " << valueString(kv.value, true) << "}";
      else
        out << valueString(kv.value, true);
      first = false;
    }
    out << "\n  },\n  \"tensors\": [";
    first = true;
    for (const GGUFTensor &t : f.tensors()) {
      out << (first ? "\n" : ",\n") << "    {\"name\": " << jsonString(t.name)
          << ", \"shape\": " << t.shapeString() << ", \"type\": \""
          << getGGMLTypeTraits(t.type).name << "\", \"offset\": " << t.offset
          << ", \"bytes\": " << t.nbytes
          << ", \"decoded\": " << (isDecodedGGMLType(t.type) ? "true" : "false")
          << "}";
      first = false;
    }
    out << "\n  ],\n  \"type_histogram\": {";
    first = true;
    for (auto &[name, h] : hist) {
      out << (first ? "" : ", ") << "\"" << name << "\": {\"tensors\": "
          << h.first << ", \"bytes\": " << h.second << "}";
      first = false;
    }
    out << "},\n  \"parameters\": " << params << ",\n  \"tensor_bytes\": "
        << bytes;
    if (validate) {
      out << ",\n  \"valid\": " << (hp ? "true" : "false");
      if (hp)
        out << ",\n  \"hparams\": {\"dim\": " << hp->dim
            << ", \"hidden_dim\": " << hp->hiddenDim
            << ", \"n_layers\": " << hp->nLayers
            << ", \"n_heads\": " << hp->nHeads
            << ", \"n_kv_heads\": " << hp->nKVHeads
            << ", \"head_dim\": " << hp->headDim
            << ", \"kv_mul\": " << hp->kvMul() << ", \"n_rot\": " << hp->nRot
            << ", \"n_vocab\": " << hp->nVocab
            << ", \"n_ctx_train\": " << hp->nCtxTrain
            << ", \"rope_theta\": " << number(hp->ropeTheta)
            << ", \"rms_eps\": " << number(hp->rmsEps)
            << ", \"tied_output\": " << (hp->tiedOutput ? "true" : "false")
            << ", \"tokenizer\": " << jsonString(hp->tokenizerModel)
            << ", \"bos\": " << hp->bosId << ", \"eos\": " << hp->eosId
            << "}";
      out << ",\n  \"errors\": [";
      for (size_t k = 0; k < errors.size(); ++k)
        out << (k ? ", " : "") << "{\"category\": \""
            << errorCodeName(errors[k].code())
            << "\", \"message\": " << jsonString(errors[k].message()) << "}";
      out << "]";
    }
    out << "\n}\n";
  } else {
    out << "file: " << f.name() << "\nGGUF version " << f.version()
        << ", alignment " << f.alignment() << ", " << f.metadata().size()
        << " metadata keys, " << f.tensors().size()
        << " tensors, data at byte " << f.dataOffset() << " of "
        << f.fileSize() << "\n\nmetadata:\n";
    for (const GGUFKeyValue &kv : f.metadata()) {
      std::string type = ggufTypeName(kv.value.type);
      if (kv.value.type == GGUFType::Array)
        type += std::string("<") + ggufTypeName(kv.value.elemType) + ">";
      out << "  " << kv.key << " (" << type
          << ") = " << valueString(kv.value, false) << "\n";
    }
    out << "\ntensors:\n";
    char line[256];
    std::snprintf(line, sizeof(line), "  %-28s %-22s %-7s %12s %12s\n", "name",
                  "shape (ne)", "type", "offset", "bytes");
    out << line;
    for (const GGUFTensor &t : f.tensors()) {
      std::snprintf(line, sizeof(line), "  %-28.*s %-22s %-7s %12llu %12llu\n",
                    static_cast<int>(t.name.size()), t.name.data(),
                    t.shapeString().c_str(), getGGMLTypeTraits(t.type).name,
                    static_cast<unsigned long long>(t.offset),
                    static_cast<unsigned long long>(t.nbytes));
      out << line;
    }
    out << "\ntypes:";
    for (auto &[name, h] : hist)
      out << " " << name << " x" << h.first << " (" << h.second << " bytes)";
    out << "\nparameters: " << params << " (" << bytes << " bytes of tensors)\n";
    std::string undecoded = undecodedTensorSummary(f);
    if (!undecoded.empty())
      out << "types llama-mlir does not decode (llama-compile refuses a model "
             "whose weights use them): "
          << undecoded << "\n";
    if (validate && hp) {
      out << "\nllama hyperparameters: dim " << hp->dim << ", hidden_dim "
          << hp->hiddenDim << ", n_layers " << hp->nLayers << ", n_heads "
          << hp->nHeads << ", n_kv_heads " << hp->nKVHeads << " (kv_mul "
          << hp->kvMul() << "), head_dim " << hp->headDim << ", n_rot "
          << hp->nRot << ", n_vocab " << hp->nVocab << ", n_ctx_train "
          << hp->nCtxTrain << ", rope theta " << hp->ropeTheta << ", rms eps "
          << hp->rmsEps << ", output " << (hp->tiedOutput ? "tied" : "untied")
          << ", tokenizer " << hp->tokenizerModel << " (bos " << hp->bosId
          << ", eos " << hp->eosId << ")\nvalid Llama model\n";
    }
  }
  if (validate && !hp) {
    err << "llama-gguf: " << f.name() << " is not a valid Llama model ("
        << errors.size() << " error" << (errors.size() == 1 ? "" : "s")
        << "):\n";
    for (const Error &e : errors)
      err << "  [" << errorCodeName(e.code()) << "] " << e.message() << "\n";
    return false;
  }
  return true;
}

} // namespace llamart
