//===- GGUF.cpp - A hardened GGUF reader ------------------------*- C++ -*-===//
//
// Implements GGUF.h but for the parser (GGUFParser.cpp): type and error
// names, value conversions, the view's typed lookups, and GGUFFile, which
// maps a file (O_NONBLOCK: a FIFO is refused, not waited on) and registers
// the mapping with the SIGBUS guard (FileIO.h).
//
//===----------------------------------------------------------------------===//

#include "runtime/gguf/GGUF.h"
#include "runtime/core/FileIO.h"

#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace llamart {

const char *errorCodeName(ErrorCode code) {
  switch (code) {
  case ErrorCode::Ok:
    return "ok";
  case ErrorCode::Io:
    return "io";
  case ErrorCode::Truncated:
    return "truncated";
  case ErrorCode::BadMagic:
    return "bad-magic";
  case ErrorCode::UnsupportedVersion:
    return "unsupported-version";
  case ErrorCode::TooLarge:
    return "too-large";
  case ErrorCode::BadValueType:
    return "bad-value-type";
  case ErrorCode::DuplicateName:
    return "duplicate-name";
  case ErrorCode::BadTensorInfo:
    return "bad-tensor-info";
  case ErrorCode::Overflow:
    return "overflow";
  case ErrorCode::BadTensorData:
    return "bad-tensor-data";
  case ErrorCode::WrongKeyType:
    return "wrong-key-type";
  case ErrorCode::MissingKey:
    return "missing-key";
  case ErrorCode::MissingTensor:
    return "missing-tensor";
  case ErrorCode::ShapeMismatch:
    return "shape-mismatch";
  case ErrorCode::BadHParams:
    return "bad-hparams";
  case ErrorCode::Unsupported:
    return "unsupported";
  case ErrorCode::InvalidArgument:
    return "invalid-argument";
  }
  return "unknown";
}

const char *ggufTypeName(GGUFType type) {
  switch (type) {
  case GGUFType::U8:
    return "u8";
  case GGUFType::I8:
    return "i8";
  case GGUFType::U16:
    return "u16";
  case GGUFType::I16:
    return "i16";
  case GGUFType::U32:
    return "u32";
  case GGUFType::I32:
    return "i32";
  case GGUFType::F32:
    return "f32";
  case GGUFType::Bool:
    return "bool";
  case GGUFType::String:
    return "string";
  case GGUFType::Array:
    return "array";
  case GGUFType::U64:
    return "u64";
  case GGUFType::I64:
    return "i64";
  case GGUFType::F64:
    return "f64";
  }
  return "?";
}

bool GGUFValue::isInteger() const {
  switch (type) {
  case GGUFType::U8:
  case GGUFType::I8:
  case GGUFType::U16:
  case GGUFType::I16:
  case GGUFType::U32:
  case GGUFType::I32:
  case GGUFType::U64:
  case GGUFType::I64:
    return true;
  default:
    return false;
  }
}

std::optional<int64_t> GGUFValue::asInt() const {
  switch (type) {
  case GGUFType::I8:
  case GGUFType::I16:
  case GGUFType::I32:
  case GGUFType::I64:
    return i;
  case GGUFType::U8:
  case GGUFType::U16:
  case GGUFType::U32:
  case GGUFType::U64:
    if (u > static_cast<uint64_t>(INT64_MAX))
      return std::nullopt;
    return static_cast<int64_t>(u);
  default:
    return std::nullopt;
  }
}

std::string GGUFTensor::shapeString() const {
  std::string s = "[";
  for (uint32_t d = 0; d < nDims; ++d) {
    if (d)
      s += ", ";
    s += std::to_string(ne[d]);
  }
  return s + "]";
}

//===----------------------------------------------------------------------===//
// Messages
//===----------------------------------------------------------------------===//

std::string printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02X", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::string undecodedTensorSummary(const GGUFView &f,
                                   const std::vector<std::string> *names) {
  // type id -> (count, first tensor), in the order the types first appear.
  std::vector<std::pair<GGMLType, std::pair<uint64_t, std::string_view>>> uses;
  auto note = [&](const GGUFTensor &t) {
    if (isDecodedGGMLType(t.type))
      return;
    for (auto &u : uses)
      if (u.first == t.type) {
        u.second.first++;
        return;
      }
    uses.push_back({t.type, {1, t.name}});
  };
  if (names) {
    for (const std::string &n : *names)
      if (const GGUFTensor *t = f.findTensor(n))
        note(*t);
  } else {
    for (const GGUFTensor &t : f.tensors())
      note(t);
  }
  std::string s;
  for (auto &[type, use] : uses)
    s += (s.empty() ? "" : ", ") + ggmlTypeLabel(type) + " x" +
         std::to_string(use.first) + " (first '" + printable(use.second) + "')";
  return s;
}

//===----------------------------------------------------------------------===//
// GGUFView
//===----------------------------------------------------------------------===//

const GGUFValue *GGUFView::find(std::string_view key) const {
  auto it = kvIndex_.find(key);
  return it == kvIndex_.end() ? nullptr : &kvs_[it->second].value;
}

const GGUFTensor *GGUFView::findTensor(std::string_view name) const {
  auto it = tensorIndex_.find(name);
  return it == tensorIndex_.end() ? nullptr : &tensors_[it->second];
}

static Error wrongType(const std::string &file, std::string_view key,
                       const char *expected, const GGUFValue &found) {
  std::string f = ggufTypeName(found.type);
  if (found.type == GGUFType::Array)
    f += std::string(" of ") + ggufTypeName(found.elemType);
  return Error(ErrorCode::WrongKeyType, file + ": key '" + std::string(key) +
                                            "': expected " + expected +
                                            ", found " + f);
}

Expected<int64_t> GGUFView::getInt(std::string_view key, int64_t dflt) const {
  const GGUFValue *v = find(key);
  if (!v)
    return dflt;
  std::optional<int64_t> i = v->asInt();
  if (!v->isInteger() || !i)
    return wrongType(name_, key, "an integer", *v);
  return *i;
}

Expected<double> GGUFView::getFloat(std::string_view key, double dflt) const {
  const GGUFValue *v = find(key);
  if (!v)
    return dflt;
  if (!v->isFloat())
    return wrongType(name_, key, "f32 or f64", *v);
  return v->f;
}

Expected<bool> GGUFView::getBool(std::string_view key, bool dflt) const {
  const GGUFValue *v = find(key);
  if (!v)
    return dflt;
  if (v->type != GGUFType::Bool)
    return wrongType(name_, key, "bool", *v);
  return v->u != 0;
}

Expected<std::string> GGUFView::getString(std::string_view key,
                                          std::string dflt) const {
  const GGUFValue *v = find(key);
  if (!v)
    return dflt;
  if (v->type != GGUFType::String)
    return wrongType(name_, key, "string", *v);
  return std::string(v->str);
}

Expected<const GGUFValue *> GGUFView::getArray(std::string_view key,
                                               GGUFType elemType) const {
  const GGUFValue *v = find(key);
  if (!v)
    return static_cast<const GGUFValue *>(nullptr);
  if (v->type != GGUFType::Array || v->elemType != elemType)
    return wrongType(
        name_, key, (std::string("array of ") + ggufTypeName(elemType)).c_str(),
        *v);
  return v;
}

//===----------------------------------------------------------------------===//
// GGUFFile
//===----------------------------------------------------------------------===//

Expected<std::unique_ptr<GGUFFile>> GGUFFile::open(const std::string &path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused
  // below as not a regular file).
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return Error(ErrorCode::Io,
                 path + ": cannot open: " + std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error(ErrorCode::Io, path + ": not a regular file");
  }
  std::unique_ptr<GGUFFile> file(new GGUFFile());
  file->mapSize_ = static_cast<size_t>(st.st_size);
  if (file->mapSize_ > 0) {
    void *m = mmap(nullptr, file->mapSize_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      ::close(fd);
      return Error(ErrorCode::Io,
                   path + ": cannot map: " + std::strerror(errno));
    }
    file->map_ = m;
    // A SIGBUS in here (the file shrank under us) names the file where the
    // process installed the guard (FileIO.h).
    guardMapping(m, file->mapSize_, path);
  }
  ::close(fd);
  Expected<GGUFView> view = GGUFView::parse(
      static_cast<const uint8_t *>(file->map_), file->mapSize_, path);
  if (!view)
    return view.takeError();
  file->view_ = std::move(*view);
  return file;
}

GGUFFile::~GGUFFile() {
  if (map_) {
    unguardMapping(map_);
    munmap(map_, mapSize_);
  }
}

} // namespace llamart
