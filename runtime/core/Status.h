//===- Status.h - Errors and results of the runtime -------------*- C++ -*-===//
//
// The runtime's fallible calls return an Error (a category plus a message
// that names the file, the byte offset, the key or tensor, what was expected
// and what was found) or an Expected<T>. No exceptions, no abort: only a
// program's main prints and exits.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_RUNTIME_STATUS_H
#define LLAMA_MLIR_RUNTIME_STATUS_H

#include <optional>
#include <string>
#include <utility>

namespace llamart {

/// What kind of problem an Error reports; tests assert on it.
enum class ErrorCode {
  Ok = 0,
  Io,                 ///< cannot open, stat or map the file
  Truncated,          ///< the file ends inside a structure
  BadMagic,           ///< not a GGUF file
  UnsupportedVersion, ///< GGUF version other than 2 or 3
  TooLarge,           ///< a count or length cannot fit in the file
  BadValueType,       ///< unknown metadata value type, or arrays nested too deep
  DuplicateName,      ///< a key or tensor name appears twice
  BadTensorInfo,      ///< n_dims, a dimension or the ggml_type is invalid
  Overflow,           ///< a size or offset computation overflows 64 bits
  BadTensorData,      ///< tensor data misaligned, outside the file, overlapping
  WrongKeyType,       ///< a known key has a value of the wrong type
  MissingKey,         ///< a required key is absent
  MissingTensor,      ///< a required tensor is absent
  ShapeMismatch,      ///< a tensor's shape or type disagrees with the model
  BadHParams,         ///< hyperparameters out of range or inconsistent
  Unsupported,        ///< valid GGUF, but not something we support
  InvalidArgument,    ///< a caller's (CLI) argument is invalid
};

/// A short stable name of an error category ("truncated", ...).
const char *errorCodeName(ErrorCode code);

class Error {
public:
  Error() = default;
  Error(ErrorCode code, std::string message)
      : code_(code), message_(std::move(message)) {}
  static Error success() { return Error(); }

  bool ok() const { return code_ == ErrorCode::Ok; }
  explicit operator bool() const { return !ok(); } ///< true on failure
  ErrorCode code() const { return code_; }
  const std::string &message() const { return message_; }

private:
  ErrorCode code_ = ErrorCode::Ok;
  std::string message_;
};

/// A value or an Error.
template <typename T> class Expected {
public:
  Expected(T value) : value_(std::move(value)) {}
  Expected(Error error) : error_(std::move(error)) {}

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  T &operator*() { return *value_; }
  const T &operator*() const { return *value_; }
  T *operator->() { return &*value_; }
  const T *operator->() const { return &*value_; }
  const Error &error() const { return error_; }
  Error takeError() { return std::move(error_); }

private:
  std::optional<T> value_;
  Error error_;
};

} // namespace llamart

#endif // LLAMA_MLIR_RUNTIME_STATUS_H
