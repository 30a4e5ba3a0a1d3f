//===- FileIO.h - Bounded reads, safe writes, guarded mappings --*- C++ -*-===//
//
// The file operations every tool and produced program shares, written so
// that no input can take unbounded memory and no output can destroy a
// user's file:
//   - reads stop with an error past a caller's byte limit, and any read
//     error (a directory, EIO) is an error naming the file;
//   - outputs are written to a temporary in the destination's directory and
//     renamed over it only when complete, and refused where they name an
//     input;
//   - a SIGBUS inside a mapped file (the file shrank under the process) is
//     reported in one line naming the file instead of killing the process
//     silently.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_RUNTIME_FILEIO_H
#define LLAMA_MLIR_RUNTIME_FILEIO_H

#include "runtime/core/Status.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace llamart {

/// Reads all of `path` (a regular file, a pipe, a character device) into
/// `out`. More than `limit` bytes is an error (`what` names the limit in the
/// message, e.g. "the context of 512 tokens holds at most 8192 bytes");
/// so is a path that cannot be opened or read.
Error readFileBounded(const std::string &path, size_t limit,
                      const std::string &what, std::string &out);

/// Reads one line (without its '\n') from `in` into `line`. Returns false at
/// the end of input with nothing read. A line longer than `limit` bytes, or
/// a read error, is an error naming `name`.
Expected<bool> readLineBounded(std::FILE *in, size_t limit,
                               const std::string &name, const std::string &what,
                               std::string &line);

/// Whether `a` and `b` name the same existing file (same device and inode,
/// through links and `./` alike).
bool sameFile(const std::string &a, const std::string &b);

/// An Error when `output` names the same file as `input`: "`flag` PATH is the
/// input INPUT; refusing to overwrite it".
Error checkNotInput(const std::string &flag, const std::string &output,
                    const std::string &input);

/// A file written in full before it replaces `path`: create() opens a
/// temporary next to `path`; commit() flushes it, checks every write and
/// renames it over `path`. Destroyed before commit(), it removes the
/// temporary and leaves `path` as it was. An existing `path` that is not a
/// regular file (a device, a FIFO) is written in place.
class AtomicOutputFile {
public:
  static Expected<AtomicOutputFile> create(const std::string &path,
                                           bool executable = false);
  AtomicOutputFile(AtomicOutputFile &&o) noexcept;
  AtomicOutputFile &operator=(AtomicOutputFile &&) = delete;
  ~AtomicOutputFile();

  /// The stream to write to (stdio buffering; errors are collected and
  /// reported by commit()).
  std::FILE *stream() const { return f_; }
  /// The temporary's path (for a tool that writes the file itself).
  const std::string &tempPath() const { return tmp_; }
  /// An Error when the file system the temporary is on has fewer than
  /// `bytes` free (nothing to check for a file written in place).
  Error reserve(uint64_t bytes) const;
  /// Checks every write, closes, and renames the temporary over the path.
  Error commit();

private:
  AtomicOutputFile() = default;
  std::string path_, tmp_;
  std::FILE *f_ = nullptr;
};

/// Writes `n` bytes to `f`; an Error naming `name` when any is lost.
Error writeChecked(std::FILE *f, const void *data, size_t n,
                   const std::string &name);

/// Installs (once) a SIGBUS handler that reports a fault inside a mapping
/// registered with guardMapping() as "PROG: FILE: the file changed while in
/// use (it was truncated or rewritten); ..." and exits with status 1. Other
/// SIGBUS faults keep their default action.
void installMappingGuard(const char *prog);
/// Registers [base, base + size) as mapped from `path` (up to 16 mappings).
void guardMapping(const void *base, size_t size, const std::string &path);
/// Forgets the mapping at `base` (before it is unmapped).
void unguardMapping(const void *base);

} // namespace llamart

#endif // LLAMA_MLIR_RUNTIME_FILEIO_H
