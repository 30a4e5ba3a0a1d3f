//===- FileIO.cpp - Bounded reads, safe writes, guarded mappings -*- C++
//-*-===//
//
// Implements FileIO.h with POSIX calls: fread in chunks up to a limit,
// mkostemp + rename for outputs, stat for file identity, and a sigaction
// SIGBUS handler that only uses async-signal-safe calls (write, _exit) on
// data prepared when a mapping is registered.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/FileIO.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace llamart {

//===----------------------------------------------------------------------===//
// Bounded reads
//===----------------------------------------------------------------------===//

Error readFileBounded(const std::string &path, size_t limit,
                      const std::string &what, std::string &out) {
  out.clear();
  std::FILE *f = std::fopen(path.c_str(), "rb");
  if (!f)
    return Error(ErrorCode::Io,
                 path + ": cannot open: " + std::strerror(errno));
  char buf[1 << 16];
  Error err;
  while (true) {
    size_t n = std::fread(buf, 1, sizeof(buf), f);
    if (n > 0 && out.size() + n > limit) {
      err = Error(ErrorCode::TooLarge, path + ": longer than " +
                                           std::to_string(limit) + " bytes (" +
                                           what + ")");
      break;
    }
    out.append(buf, n);
    if (n < sizeof(buf)) {
      if (std::ferror(f))
        err = Error(ErrorCode::Io,
                    path + ": cannot read: " + std::strerror(errno));
      break;
    }
  }
  std::fclose(f);
  if (err)
    out.clear();
  return err;
}

Expected<bool> readLineBounded(std::FILE *in, size_t limit,
                               const std::string &name, const std::string &what,
                               std::string &line) {
  // Byte by byte (NUL bytes included), so that a stream without newlines
  // costs at most `limit` bytes.
  line.clear();
  int c;
  bool any = false;
  while ((c = std::getc(in)) != EOF) {
    any = true;
    if (c == '\n')
      return true;
    if (line.size() == limit)
      return Error(ErrorCode::TooLarge, name + ": a line longer than " +
                                            std::to_string(limit) + " bytes (" +
                                            what + ")");
    line.push_back(static_cast<char>(c));
  }
  if (std::ferror(in))
    return Error(ErrorCode::Io,
                 name + ": cannot read: " + std::strerror(errno));
  return any;
}

//===----------------------------------------------------------------------===//
// Outputs
//===----------------------------------------------------------------------===//

namespace {

/// The temporaries of live AtomicOutputFiles, removed by an exit that skips
/// their destructors (std::exit in a tool's error path, the SIGBUS guard):
/// fixed slots, so that the signal handler only reads and unlinks.
constexpr int kMaxTemporaries = 8;
char temporaries[kMaxTemporaries][512];
std::atomic<bool> temporaryUsed[kMaxTemporaries];

void removeTemporaries() {
  for (int i = 0; i < kMaxTemporaries; ++i)
    if (temporaryUsed[i].exchange(false))
      ::unlink(temporaries[i]);
}

void registerTemporary(const std::string &path) {
  static std::once_flag once;
  std::call_once(once, [] { std::atexit(removeTemporaries); });
  for (int i = 0; i < kMaxTemporaries; ++i) {
    if (temporaryUsed[i].load() || path.size() >= sizeof(temporaries[i]))
      continue;
    std::memcpy(temporaries[i], path.c_str(), path.size() + 1);
    temporaryUsed[i].store(true);
    return;
  }
}

void unregisterTemporary(const std::string &path) {
  for (int i = 0; i < kMaxTemporaries; ++i)
    if (temporaryUsed[i].load() && path == temporaries[i])
      temporaryUsed[i].store(false);
}

} // namespace

bool sameFile(const std::string &a, const std::string &b) {
  struct stat sa, sb;
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 &&
         sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

Error checkNotInput(const std::string &flag, const std::string &output,
                    const std::string &input) {
  if (!sameFile(output, input))
    return Error::success();
  return Error(ErrorCode::InvalidArgument, flag + " " + output +
                                               " is the input " + input +
                                               "; refusing to overwrite it");
}

Expected<AtomicOutputFile> AtomicOutputFile::create(const std::string &path,
                                                    bool executable) {
  if (path.empty())
    return Error(ErrorCode::InvalidArgument, "the output path is empty");
  struct stat st;
  bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode))
    return Error(ErrorCode::Io, path + ": is a directory");
  if (exists && !S_ISREG(st.st_mode)) {
    // A device, FIFO or /dev/stdout: written in place (a rename would
    // replace the device node itself).
    AtomicOutputFile out;
    out.path_ = path;
    out.f_ = std::fopen(path.c_str(), "wb");
    if (!out.f_)
      return Error(ErrorCode::Io,
                   path + ": cannot open: " + std::strerror(errno));
    return out;
  }
  size_t slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string tmp = dir + "." + base + ".tmp.XXXXXX";
  int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0)
    return Error(ErrorCode::Io, path + ": cannot create a file beside it: " +
                                    std::strerror(errno));
  // mkstemp creates the file 0600; give it the mode a plain create would.
  mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, (executable ? 0777 : 0666) & ~mask);
  AtomicOutputFile out;
  out.path_ = path;
  out.tmp_ = tmp;
  registerTemporary(tmp);
  out.f_ = ::fdopen(fd, "wb");
  if (!out.f_) {
    ::close(fd);
    return Error(ErrorCode::Io, tmp + ": " + std::strerror(errno));
  }
  return out;
}

AtomicOutputFile::AtomicOutputFile(AtomicOutputFile &&o) noexcept
    : path_(std::move(o.path_)), tmp_(std::move(o.tmp_)), f_(o.f_) {
  o.f_ = nullptr;
  o.tmp_.clear();
}

AtomicOutputFile::~AtomicOutputFile() {
  if (f_)
    std::fclose(f_);
  if (!tmp_.empty()) {
    unregisterTemporary(tmp_);
    ::unlink(tmp_.c_str());
  }
}

Error AtomicOutputFile::reserve(uint64_t bytes) const {
  struct statvfs fs;
  if (tmp_.empty() || ::fstatvfs(::fileno(f_), &fs) != 0)
    return Error::success();
  uint64_t avail = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  if (bytes <= avail)
    return Error::success();
  return Error(ErrorCode::TooLarge, path_ + ": the file would take " +
                                        std::to_string(bytes) +
                                        " bytes and its file system has " +
                                        std::to_string(avail) + " free");
}

Error AtomicOutputFile::commit() {
  errno = 0;
  bool failed = std::fflush(f_) != 0 || std::ferror(f_);
  int saved = errno;
  failed |= std::fclose(f_) != 0;
  if (!saved)
    saved = errno;
  f_ = nullptr;
  if (failed)
    return Error(ErrorCode::Io, path_ + ": write failed: " +
                                    std::strerror(saved ? saved : EIO));
  if (tmp_.empty()) // written in place
    return Error::success();
  if (::rename(tmp_.c_str(), path_.c_str()) != 0)
    return Error(ErrorCode::Io,
                 path_ + ": cannot replace it: " + std::strerror(errno));
  unregisterTemporary(tmp_);
  tmp_.clear();
  return Error::success();
}

Error writeChecked(std::FILE *f, const void *data, size_t n,
                   const std::string &name) {
  if (n == 0 || std::fwrite(data, 1, n, f) == n)
    return Error::success();
  return Error(ErrorCode::Io,
               name + ": write failed: " + std::strerror(errno ? errno : EIO));
}

//===----------------------------------------------------------------------===//
// SIGBUS in mapped files
//===----------------------------------------------------------------------===//

namespace {

struct GuardedMapping {
  std::atomic<uintptr_t> base{0};
  size_t size = 0;
  char path[480] = {0};
};
constexpr int kMaxGuarded = 16;
GuardedMapping guarded[kMaxGuarded];
char progName[128] = "llama-mlir";
std::mutex guardMutex;
struct sigaction previousSigbus; ///< restored for faults outside our maps

void writeStr(const char *s) {
  size_t n = std::strlen(s);
  while (n > 0) {
    ssize_t w = ::write(2, s, n);
    if (w <= 0)
      return;
    s += w;
    n -= static_cast<size_t>(w);
  }
}

void onSigbus(int sig, siginfo_t *info, void *) {
  uintptr_t addr = reinterpret_cast<uintptr_t>(info->si_addr);
  for (GuardedMapping &g : guarded) {
    uintptr_t base = g.base.load(std::memory_order_acquire);
    if (base && addr >= base && addr - base < g.size) {
      writeStr("\n");
      writeStr(progName);
      writeStr(": ");
      writeStr(g.path);
      writeStr(": the file changed while in use (it was truncated or "
               "rewritten); stopping\n");
      removeTemporaries();
      ::_exit(1);
    }
  }
  // Not ours: the handler this one replaced (LLVM's, ASan's or the default
  // action) takes the fault when it recurs on return.
  ::sigaction(sig, &previousSigbus, nullptr);
}

} // namespace

void installMappingGuard(const char *prog) {
  static std::once_flag once;
  std::call_once(once, [&] {
    const char *slash = std::strrchr(prog, '/');
    std::snprintf(progName, sizeof(progName), "%s", slash ? slash + 1 : prog);
    struct sigaction sa;
    std::memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = onSigbus;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGBUS, &sa, &previousSigbus);
  });
}

void guardMapping(const void *base, size_t size, const std::string &path) {
  std::lock_guard<std::mutex> lock(guardMutex);
  for (GuardedMapping &g : guarded) {
    if (g.base.load(std::memory_order_relaxed))
      continue;
    g.size = size;
    std::snprintf(g.path, sizeof(g.path), "%s", path.c_str());
    g.base.store(reinterpret_cast<uintptr_t>(base), std::memory_order_release);
    return;
  }
}

void unguardMapping(const void *base) {
  std::lock_guard<std::mutex> lock(guardMutex);
  for (GuardedMapping &g : guarded)
    if (g.base.load(std::memory_order_relaxed) ==
        reinterpret_cast<uintptr_t>(base))
      g.base.store(0, std::memory_order_release);
}

} // namespace llamart
