//===- GGUFWriter.cpp - Writes GGUF v3 files --------------------*- C++ -*-===//
//
// Implements GGUFWriter.h: header, metadata, tensor infos with offsets
// aligned to general.alignment, padding, then each tensor's bytes streamed
// from its producer.
//
//===----------------------------------------------------------------------===//

#include "runtime/gguf/GGUFWriter.h"
#include "runtime/core/FileIO.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace llamart {

GGUFOwnedValue GGUFOwnedValue::u32(uint32_t v) {
  GGUFOwnedValue r;
  r.type = GGUFType::U32;
  r.u = v;
  return r;
}
GGUFOwnedValue GGUFOwnedValue::i32(int32_t v) {
  GGUFOwnedValue r;
  r.type = GGUFType::I32;
  r.i = v;
  return r;
}
GGUFOwnedValue GGUFOwnedValue::u64(uint64_t v) {
  GGUFOwnedValue r;
  r.type = GGUFType::U64;
  r.u = v;
  return r;
}
GGUFOwnedValue GGUFOwnedValue::f32(float v) {
  GGUFOwnedValue r;
  r.type = GGUFType::F32;
  r.f = v;
  return r;
}
GGUFOwnedValue GGUFOwnedValue::boolean(bool v) {
  GGUFOwnedValue r;
  r.type = GGUFType::Bool;
  r.u = v;
  return r;
}
GGUFOwnedValue GGUFOwnedValue::string(std::string v) {
  GGUFOwnedValue r;
  r.type = GGUFType::String;
  r.str = std::move(v);
  return r;
}
GGUFOwnedValue GGUFOwnedValue::array(GGUFType elemType,
                                     std::vector<GGUFOwnedValue> elems) {
  GGUFOwnedValue r;
  r.type = GGUFType::Array;
  r.elemType = elemType;
  r.elems = std::move(elems);
  return r;
}
GGUFOwnedValue GGUFOwnedValue::copyOf(const GGUFValue &v) {
  GGUFOwnedValue r;
  r.type = v.type;
  r.u = v.u;
  r.i = v.i;
  r.f = v.f;
  r.str = std::string(v.str);
  r.elemType = v.elemType;
  r.elems.reserve(v.elems.size());
  for (const GGUFValue &e : v.elems)
    r.elems.push_back(copyOf(e));
  return r;
}

void GGUFWriter::set(std::string key, GGUFOwnedValue value) {
  for (auto &kv : kvs_)
    if (kv.first == key) {
      kv.second = std::move(value);
      return;
    }
  kvs_.emplace_back(std::move(key), std::move(value));
}

void GGUFWriter::erase(const std::string &key) {
  for (size_t k = 0; k < kvs_.size(); ++k)
    if (kvs_[k].first == key) {
      kvs_.erase(kvs_.begin() + static_cast<ptrdiff_t>(k));
      return;
    }
}

void GGUFWriter::removeTensor(const std::string &name) {
  for (size_t k = 0; k < tensors_.size(); ++k)
    if (tensors_[k].name == name) {
      tensors_.erase(tensors_.begin() + static_cast<ptrdiff_t>(k));
      return;
    }
}

void GGUFWriter::addTensor(std::string name, std::vector<uint64_t> ne,
                           GGMLType type, Producer produce) {
  uint64_t count = 1;
  for (uint64_t d : ne)
    count *= d;
  uint64_t nbytes = ggmlRowBytes(type, ne.empty() ? 1 : ne[0]).value_or(0) *
                    (ne.empty() ? 1 : count / ne[0]);
  tensors_.push_back(
      {std::move(name), std::move(ne), type, nbytes, std::move(produce)});
}

void GGUFWriter::addTensorBytes(std::string name, std::vector<uint64_t> ne,
                                GGMLType type, std::vector<uint8_t> bytes) {
  auto shared = std::make_shared<std::vector<uint8_t>>(std::move(bytes));
  addTensor(std::move(name), std::move(ne), type,
            [shared](uint8_t *out, uint64_t n) {
              uint64_t k = std::min<uint64_t>(n, shared->size());
              if (k)
                std::memcpy(out, shared->data(), k);
            });
}

namespace {
struct FileSink {
  FILE *f;
  bool failed = false;
  uint64_t pos = 0;
  void put(const void *p, size_t n) {
    if (n && std::fwrite(p, 1, n, f) != n)
      failed = true;
    pos += n;
  }
};
struct VectorSink {
  std::vector<uint8_t> &v;
  uint64_t pos = 0;
  void put(const void *p, size_t n) {
    const uint8_t *b = static_cast<const uint8_t *>(p);
    v.insert(v.end(), b, b + n);
    pos += n;
  }
};

template <typename Sink, typename T> void putScalar(Sink &s, T v) {
  s.put(&v, sizeof(T));
}
template <typename Sink> void putString(Sink &s, const std::string &str) {
  putScalar<Sink, uint64_t>(s, str.size());
  s.put(str.data(), str.size());
}
template <typename Sink> void putValue(Sink &s, const GGUFOwnedValue &v) {
  switch (v.type) {
  case GGUFType::U8:
    putScalar<Sink, uint8_t>(s, static_cast<uint8_t>(v.u));
    break;
  case GGUFType::I8:
    putScalar<Sink, int8_t>(s, static_cast<int8_t>(v.i));
    break;
  case GGUFType::U16:
    putScalar<Sink, uint16_t>(s, static_cast<uint16_t>(v.u));
    break;
  case GGUFType::I16:
    putScalar<Sink, int16_t>(s, static_cast<int16_t>(v.i));
    break;
  case GGUFType::U32:
    putScalar<Sink, uint32_t>(s, static_cast<uint32_t>(v.u));
    break;
  case GGUFType::I32:
    putScalar<Sink, int32_t>(s, static_cast<int32_t>(v.i));
    break;
  case GGUFType::U64:
    putScalar<Sink, uint64_t>(s, v.u);
    break;
  case GGUFType::I64:
    putScalar<Sink, int64_t>(s, v.i);
    break;
  case GGUFType::F32:
    putScalar<Sink, float>(s, static_cast<float>(v.f));
    break;
  case GGUFType::F64:
    putScalar<Sink, double>(s, v.f);
    break;
  case GGUFType::Bool:
    putScalar<Sink, uint8_t>(s, v.u ? 1 : 0);
    break;
  case GGUFType::String:
    putString(s, v.str);
    break;
  case GGUFType::Array:
    putScalar<Sink, uint32_t>(s, static_cast<uint32_t>(v.elemType));
    putScalar<Sink, uint64_t>(s, v.elems.size());
    for (const GGUFOwnedValue &e : v.elems)
      putValue(s, e);
    break;
  }
}
template <typename Sink> void pad(Sink &s, uint64_t alignment) {
  static const uint8_t zeros[64] = {};
  while (s.pos % alignment)
    s.put(zeros, std::min<uint64_t>(64, alignment - s.pos % alignment));
}
struct CountSink {
  uint64_t pos = 0;
  void put(const void *, size_t n) { pos += n; }
};
} // namespace

template <typename Sink> void GGUFWriter::emitHeader(Sink &sink) const {
  putScalar<Sink, uint32_t>(sink, 0x46554747u);
  putScalar<Sink, uint32_t>(sink, 3);
  putScalar<Sink, uint64_t>(sink, tensors_.size());
  putScalar<Sink, uint64_t>(sink, kvs_.size());
  for (const auto &kv : kvs_) {
    putString(sink, kv.first);
    putScalar<Sink, uint32_t>(sink, static_cast<uint32_t>(kv.second.type));
    putValue(sink, kv.second);
  }
  uint64_t offset = 0;
  for (const Tensor &t : tensors_) {
    putString(sink, t.name);
    putScalar<Sink, uint32_t>(sink, static_cast<uint32_t>(t.ne.size()));
    for (uint64_t d : t.ne)
      putScalar<Sink, uint64_t>(sink, d);
    putScalar<Sink, uint32_t>(sink, static_cast<uint32_t>(t.type));
    putScalar<Sink, uint64_t>(sink, offset);
    offset = (offset + t.nbytes + alignment_ - 1) / alignment_ * alignment_;
  }
  pad(sink, alignment_);
}

template <typename Sink> void GGUFWriter::emit(Sink &sink) const {
  emitHeader(sink);
  std::vector<uint8_t> buf;
  for (const Tensor &t : tensors_) {
    buf.assign(t.nbytes, 0);
    if (t.produce && t.nbytes)
      t.produce(buf.data(), t.nbytes);
    sink.put(buf.data(), buf.size());
    pad(sink, alignment_);
  }
}

uint64_t GGUFWriter::fileSize() const {
  CountSink c;
  emitHeader(c);
  uint64_t size = c.pos;
  for (const Tensor &t : tensors_)
    size += (t.nbytes + alignment_ - 1) / alignment_ * alignment_;
  return size;
}

Error GGUFWriter::write(const std::string &path) const {
  // Refuse what cannot be written before writing anything: a file larger
  // than the free space, or a tensor larger than the buffer it is built in.
  uint64_t size = fileSize();
  for (const Tensor &t : tensors_)
    if (t.nbytes > kMaxTensorBytes)
      return Error(ErrorCode::TooLarge,
                   path + ": tensor '" + t.name + "' would take " +
                       std::to_string(t.nbytes) + " bytes; at most " +
                       std::to_string(kMaxTensorBytes) + " are written");
  Expected<AtomicOutputFile> f = AtomicOutputFile::create(path);
  if (!f)
    return f.error();
  if (Error e = f->reserve(size))
    return e; // the temporary goes with f
  FileSink sink{f->stream()};
  emit(sink);
  Error e = f->commit();
  if (sink.failed && !e)
    return Error(ErrorCode::Io, path + ": write failed");
  return e;
}

std::vector<uint8_t> GGUFWriter::toBytes() const {
  std::vector<uint8_t> out;
  VectorSink sink{out};
  emit(sink);
  return out;
}

} // namespace llamart
