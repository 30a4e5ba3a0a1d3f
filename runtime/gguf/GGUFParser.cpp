//===- GGUFParser.cpp - The hardened GGUF parser ----------------*- C++ -*-===//
//
// GGUFView::parse. The parser walks the file with a cursor that checks every
// read against the end of the buffer; counts are checked against the bytes
// left before anything is allocated from them; sizes and offsets use
// overflow-checked arithmetic; names from the file are quoted through
// printable() in messages.
//
//===----------------------------------------------------------------------===//

#include "runtime/gguf/GGUF.h"

#include <algorithm>
#include <cstring>
#include <sstream>

namespace llamart {

namespace {
constexpr uint32_t kMaxDims = 4;
constexpr unsigned kMaxArrayDepth = 8;
/// Metadata array values in all, each held as a GGUFValue: the largest real
/// vocabularies (tokens, scores, types, merges) have under a million, and a
/// file of a few megabytes must not make the reader take gigabytes.
constexpr uint64_t kMaxArrayValues = uint64_t(1) << 21;

/// Minimum encoded size of one value of a type, used to bound counts.
uint64_t minEncodedSize(GGUFType t) {
  switch (t) {
  case GGUFType::U8:
  case GGUFType::I8:
  case GGUFType::Bool:
    return 1;
  case GGUFType::U16:
  case GGUFType::I16:
    return 2;
  case GGUFType::U32:
  case GGUFType::I32:
  case GGUFType::F32:
    return 4;
  case GGUFType::U64:
  case GGUFType::I64:
  case GGUFType::F64:
    return 8;
  case GGUFType::String:
    return 8;
  case GGUFType::Array:
    return 12;
  }
  return 1;
}

bool knownType(uint32_t t) { return t <= static_cast<uint32_t>(GGUFType::F64); }

bool mulOverflows(uint64_t a, uint64_t b, uint64_t *out) {
  return __builtin_mul_overflow(a, b, out);
}
bool addOverflows(uint64_t a, uint64_t b, uint64_t *out) {
  return __builtin_add_overflow(a, b, out);
}
} // namespace

class GGUFParser {
public:
  GGUFParser(GGUFView &view) : v(view) {}

  Error run();

private:
  GGUFView &v;
  uint64_t pos = 0;
  uint64_t arrayValues = 0; ///< metadata array values read so far
  std::string context;      ///< what is being read, for messages

  Error fail(ErrorCode code, uint64_t at, const std::string &what) {
    std::ostringstream os;
    os << v.name_ << ": at byte " << at;
    if (!context.empty())
      os << " (" << context << ")";
    os << ": " << what;
    return Error(code, os.str());
  }
  uint64_t left() const { return v.size_ - pos; }

  Error need(uint64_t n, const char *what) {
    if (n > left())
      return fail(ErrorCode::Truncated, pos,
                  std::string("file ends while reading ") + what +
                      ": expected " + std::to_string(n) + " bytes, found " +
                      std::to_string(left()));
    return Error::success();
  }
  template <typename T> Error read(T *out, const char *what) {
    if (Error e = need(sizeof(T), what))
      return e;
    std::memcpy(out, v.base_ + pos, sizeof(T));
    pos += sizeof(T);
    return Error::success();
  }
  Error readString(std::string_view *out, const char *what) {
    uint64_t at = pos, len = 0;
    if (Error e = read(&len, what))
      return e;
    if (len > left())
      return fail(len > v.size_ ? ErrorCode::TooLarge : ErrorCode::Truncated,
                  at,
                  std::string(what) + " length " + std::to_string(len) +
                      " exceeds the " + std::to_string(left()) +
                      " bytes left in the file");
    *out = std::string_view(reinterpret_cast<const char *>(v.base_ + pos),
                            static_cast<size_t>(len));
    pos += len;
    return Error::success();
  }
  Error readValue(GGUFType type, GGUFValue *out, unsigned depth);
};

Error GGUFParser::readValue(GGUFType type, GGUFValue *out, unsigned depth) {
  out->type = type;
  switch (type) {
  case GGUFType::U8: {
    uint8_t x;
    if (Error e = read(&x, "u8 value"))
      return e;
    out->u = x;
    break;
  }
  case GGUFType::I8: {
    int8_t x;
    if (Error e = read(&x, "i8 value"))
      return e;
    out->i = x;
    break;
  }
  case GGUFType::U16: {
    uint16_t x;
    if (Error e = read(&x, "u16 value"))
      return e;
    out->u = x;
    break;
  }
  case GGUFType::I16: {
    int16_t x;
    if (Error e = read(&x, "i16 value"))
      return e;
    out->i = x;
    break;
  }
  case GGUFType::U32: {
    uint32_t x;
    if (Error e = read(&x, "u32 value"))
      return e;
    out->u = x;
    break;
  }
  case GGUFType::I32: {
    int32_t x;
    if (Error e = read(&x, "i32 value"))
      return e;
    out->i = x;
    break;
  }
  case GGUFType::U64: {
    uint64_t x;
    if (Error e = read(&x, "u64 value"))
      return e;
    out->u = x;
    break;
  }
  case GGUFType::I64: {
    int64_t x;
    if (Error e = read(&x, "i64 value"))
      return e;
    out->i = x;
    break;
  }
  case GGUFType::F32: {
    float x;
    if (Error e = read(&x, "f32 value"))
      return e;
    out->f = x;
    break;
  }
  case GGUFType::F64: {
    double x;
    if (Error e = read(&x, "f64 value"))
      return e;
    out->f = x;
    break;
  }
  case GGUFType::Bool: {
    uint8_t x;
    uint64_t at = pos;
    if (Error e = read(&x, "bool value"))
      return e;
    if (x > 1)
      return fail(ErrorCode::BadValueType, at,
                  "bool value must be 0 or 1, found " + std::to_string(x));
    out->u = x;
    break;
  }
  case GGUFType::String:
    return readString(&out->str, "string value");
  case GGUFType::Array: {
    uint64_t at = pos;
    if (depth >= kMaxArrayDepth)
      return fail(ErrorCode::BadValueType, at,
                  "arrays nested deeper than " +
                      std::to_string(kMaxArrayDepth) + " levels");
    uint32_t et = 0;
    uint64_t count = 0;
    if (Error e = read(&et, "array element type"))
      return e;
    if (!knownType(et))
      return fail(ErrorCode::BadValueType, at,
                  "unknown array element type " + std::to_string(et) +
                      ", expected 0..12");
    if (Error e = read(&count, "array length"))
      return e;
    out->elemType = static_cast<GGUFType>(et);
    uint64_t minBytes;
    if (mulOverflows(count, minEncodedSize(out->elemType), &minBytes) ||
        minBytes > left())
      return fail(
          count > v.size_ ? ErrorCode::TooLarge : ErrorCode::Truncated, at,
          "array of " + std::to_string(count) + " " +
              ggufTypeName(out->elemType) + " values cannot fit in the " +
              std::to_string(left()) + " bytes left");
    if (count > kMaxArrayValues - arrayValues)
      return fail(ErrorCode::TooLarge, at,
                  "metadata arrays hold more than " +
                      std::to_string(kMaxArrayValues) +
                      " values in all (real vocabularies have under a "
                      "million); refusing to read them");
    arrayValues += count;
    out->elems.resize(static_cast<size_t>(count));
    for (GGUFValue &elem : out->elems)
      if (Error e = readValue(out->elemType, &elem, depth + 1))
        return e;
    break;
  }
  }
  return Error::success();
}

Error GGUFParser::run() {
  // Header.
  uint32_t magic = 0;
  if (Error e = read(&magic, "magic"))
    return e;
  if (magic != 0x46554747u) // "GGUF"
    return fail(ErrorCode::BadMagic, 0,
                "not a GGUF file: expected magic 'GGUF' (47 47 55 46)");
  if (Error e = read(&v.version_, "version"))
    return e;
  if (v.version_ != 2 && v.version_ != 3)
    return fail(ErrorCode::UnsupportedVersion, 4,
                "GGUF version " + std::to_string(v.version_) +
                    " is not supported, expected 2 or 3");
  uint64_t nTensors = 0, nKV = 0;
  if (Error e = read(&nTensors, "tensor count"))
    return e;
  if (Error e = read(&nKV, "metadata count"))
    return e;
  // A key/value takes at least 8 + 4 + 1 bytes, a tensor info 8 + 4 + 4 + 8.
  uint64_t minBytes;
  // A count larger than the file has bytes is absurd (TooLarge); a smaller
  // one that still does not fit means the file was cut short (Truncated).
  auto countCode = [&](uint64_t count) {
    return count > v.size_ ? ErrorCode::TooLarge : ErrorCode::Truncated;
  };
  if (mulOverflows(nKV, 13, &minBytes) || minBytes > left())
    return fail(countCode(nKV), 16,
                "metadata count " + std::to_string(nKV) +
                    " cannot fit in the " + std::to_string(left()) +
                    " bytes left");
  if (mulOverflows(nTensors, 24, &minBytes) || minBytes > left())
    return fail(countCode(nTensors), 8,
                "tensor count " + std::to_string(nTensors) +
                    " cannot fit in the " + std::to_string(left()) +
                    " bytes left");

  // Metadata.
  v.kvs_.reserve(static_cast<size_t>(nKV));
  for (uint64_t k = 0; k < nKV; ++k) {
    GGUFKeyValue kv;
    kv.offset = pos;
    context = "metadata entry " + std::to_string(k);
    if (Error e = readString(&kv.key, "metadata key"))
      return e;
    context = "key '" + printable(kv.key) + "'";
    uint64_t at = pos;
    uint32_t type = 0;
    if (Error e = read(&type, "value type"))
      return e;
    if (!knownType(type))
      return fail(ErrorCode::BadValueType, at,
                  "unknown value type " + std::to_string(type) +
                      ", expected 0..12");
    if (Error e = readValue(static_cast<GGUFType>(type), &kv.value, 0))
      return e;
    if (!v.kvIndex_.emplace(kv.key, v.kvs_.size()).second)
      return fail(ErrorCode::DuplicateName, kv.offset,
                  "key appears more than once");
    v.kvs_.push_back(std::move(kv));
  }
  context.clear();

  // general.alignment: a non-zero power of two.
  if (const GGUFValue *a = v.find("general.alignment")) {
    uint64_t at = v.kvs_[v.kvIndex_["general.alignment"]].offset;
    std::optional<int64_t> al = a->asInt();
    if (!a->isInteger() || !al)
      return fail(ErrorCode::WrongKeyType, at,
                  "key 'general.alignment': expected an integer, found " +
                      std::string(ggufTypeName(a->type)));
    if (*al <= 0 || (*al & (*al - 1)) != 0 || *al > (1 << 20))
      return fail(ErrorCode::BadTensorData, at,
                  "key 'general.alignment': expected a power of two up to "
                  "2^20, found " +
                      std::to_string(*al));
    v.alignment_ = static_cast<uint64_t>(*al);
  }

  // Tensor infos.
  v.tensors_.reserve(static_cast<size_t>(nTensors));
  for (uint64_t t = 0; t < nTensors; ++t) {
    GGUFTensor ti;
    ti.infoOffset = pos;
    context = "tensor info " + std::to_string(t);
    if (Error e = readString(&ti.name, "tensor name"))
      return e;
    context = "tensor '" + printable(ti.name) + "'";
    uint64_t at = pos;
    if (Error e = read(&ti.nDims, "n_dims"))
      return e;
    if (ti.nDims == 0 || ti.nDims > kMaxDims)
      return fail(ErrorCode::BadTensorInfo, at,
                  "n_dims must be 1.." + std::to_string(kMaxDims) + ", found " +
                      std::to_string(ti.nDims));
    uint64_t count = 1;
    for (uint32_t d = 0; d < ti.nDims; ++d) {
      at = pos;
      if (Error e = read(&ti.ne[d], "dimension"))
        return e;
      if (ti.ne[d] == 0 || ti.ne[d] > static_cast<uint64_t>(INT64_MAX))
        return fail(ErrorCode::BadTensorInfo, at,
                    "dimension " + std::to_string(d) +
                        " must be in 1..2^63-1, found " +
                        std::to_string(ti.ne[d]));
      if (mulOverflows(count, ti.ne[d], &count) ||
          count > static_cast<uint64_t>(INT64_MAX))
        return fail(ErrorCode::Overflow, at,
                    "element count of shape overflows 63 bits");
    }
    ti.numElements = count;
    at = pos;
    uint32_t type = 0;
    if (Error e = read(&type, "ggml_type"))
      return e;
    // Any type of the format is read (its geometry sizes the tensor);
    // whoever decodes a tensor checks that it can (isDecodedGGMLType).
    const GGMLTypeTraits *traits = lookupKnownGGMLType(type);
    if (!traits)
      return fail(ErrorCode::BadTensorInfo, at,
                  "ggml_type " + std::to_string(type) +
                      " is not a type of the GGUF format (ids 0..3, 6..30, "
                      "34, 35)");
    ti.type = traits->type;
    if (ti.ne[0] % traits->blockSize != 0)
      return fail(ErrorCode::BadTensorInfo, at,
                  "row length ne[0] = " + std::to_string(ti.ne[0]) +
                      " is not a multiple of the " +
                      std::to_string(traits->blockSize) + "-element block of " +
                      traits->name);
    std::optional<uint64_t> rowBytes = ggmlRowBytes(ti.type, ti.ne[0]);
    if (!rowBytes || mulOverflows(*rowBytes, count / ti.ne[0], &ti.nbytes))
      return fail(ErrorCode::Overflow, at, "byte size overflows 64 bits");
    at = pos;
    if (Error e = read(&ti.offset, "data offset"))
      return e;
    if (ti.offset % v.alignment_ != 0)
      return fail(ErrorCode::BadTensorData, at,
                  "data offset " + std::to_string(ti.offset) +
                      " is not a multiple of the alignment " +
                      std::to_string(v.alignment_));
    if (!v.tensorIndex_.emplace(ti.name, v.tensors_.size()).second)
      return fail(ErrorCode::DuplicateName, ti.infoOffset,
                  "tensor name appears more than once");
    v.tensors_.push_back(ti);
  }
  context.clear();

  // The data section starts at the next multiple of the alignment.
  uint64_t dataStart = (pos + v.alignment_ - 1) / v.alignment_ * v.alignment_;
  if (!v.tensors_.empty() && dataStart > v.size_)
    return fail(ErrorCode::Truncated, pos,
                "file ends before the data section at byte " +
                    std::to_string(dataStart));
  v.dataOffset_ = dataStart;
  uint64_t dataSize = v.size_ > dataStart ? v.size_ - dataStart : 0;

  // Every tensor inside the data section; no two overlapping.
  std::vector<const GGUFTensor *> byOffset;
  for (GGUFTensor &ti : v.tensors_) {
    uint64_t end;
    context = "tensor '" + printable(ti.name) + "'";
    if (addOverflows(ti.offset, ti.nbytes, &end))
      return fail(ErrorCode::Overflow, ti.infoOffset,
                  "data offset + size overflows 64 bits");
    if (end > dataSize)
      return fail(ErrorCode::BadTensorData, ti.infoOffset,
                  "data [" + std::to_string(ti.offset) + ", " +
                      std::to_string(end) +
                      ") of the data section lies outside the file: the "
                      "section has " +
                      std::to_string(dataSize) + " bytes");
    ti.data = v.base_ + dataStart + ti.offset;
    byOffset.push_back(&ti);
  }
  context.clear();
  std::sort(byOffset.begin(), byOffset.end(),
            [](const GGUFTensor *a, const GGUFTensor *b) {
              return a->offset < b->offset;
            });
  for (size_t k = 1; k < byOffset.size(); ++k) {
    const GGUFTensor *a = byOffset[k - 1], *b = byOffset[k];
    if (a->offset + a->nbytes > b->offset)
      return fail(ErrorCode::BadTensorData, b->infoOffset,
                  "tensor '" + printable(b->name) + "' data at offset " +
                      std::to_string(b->offset) + " overlaps tensor '" +
                      printable(a->name) + "' [" + std::to_string(a->offset) +
                      ", " + std::to_string(a->offset + a->nbytes) + ")");
  }
  return Error::success();
}

Expected<GGUFView> GGUFView::parse(const uint8_t *data, size_t size,
                                   std::string name) {
  GGUFView view;
  view.name_ = std::move(name);
  view.base_ = data;
  view.size_ = size;
  GGUFParser parser(view);
  if (Error e = parser.run())
    return e;
  return view;
}

} // namespace llamart
