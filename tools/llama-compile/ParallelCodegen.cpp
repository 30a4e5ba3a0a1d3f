//===- ParallelCodegen.cpp - Object code on several threads ----*- C++ -*-===//
//
// Implements ParallelCodegen.h.
//
//===----------------------------------------------------------------------===//

#include "ParallelCodegen.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Transforms/Utils/SplitModule.h"

#include <algorithm>
#include <atomic>
#include <numeric>
#include <thread>

using namespace llvm;

Error mlir::llama::addTemporaryObject(std::vector<std::string> &objects) {
  SmallString<128> path;
  if (std::error_code ec =
          sys::fs::createTemporaryFile("llama-model", "o", path))
    return createStringError(ec, "cannot create a temporary object file");
  objects.push_back(path.str().str());
  return Error::success();
}

Error mlir::llama::writeObjectFile(Module &module, TargetMachine &target,
                                   const std::string &path) {
  std::error_code ec;
  ToolOutputFile f(path, ec, sys::fs::OF_None);
  if (ec)
    return createStringError(ec, path + ": " + ec.message());
  legacy::PassManager cg;
  if (target.addPassesToEmitFile(cg, f.os(), nullptr,
                                 CodeGenFileType::ObjectFile))
    return createStringError(inconvertibleErrorCode(),
                             "the target cannot emit object files");
  cg.run(module);
  f.os().flush();
  if (f.os().has_error()) {
    std::string msg = f.os().error().message();
    f.os().clear_error();
    return createStringError(inconvertibleErrorCode(),
                             path + ": write failed: " + msg);
  }
  f.keep();
  return Error::success();
}

Error mlir::llama::emitObjectsInParallel(
    Module &module, unsigned parts, unsigned threads,
    function_ref<std::unique_ptr<TargetMachine>()> makeTarget,
    function_ref<Error(Module &, TargetMachine *)> optimize,
    std::vector<std::string> &objects) {
  // Each partition as bitcode: a context is not shared between threads.
  std::vector<SmallString<0>> bitcode;
  SplitModule(
      module, parts,
      [&](std::unique_ptr<Module> part) {
        SmallString<0> &buf = bitcode.emplace_back();
        raw_svector_ostream os(buf);
        WriteBitcodeToFile(*part, os);
      },
      /*PreserveLocals=*/false);
  size_t first = objects.size();
  for (size_t i = 0; i < bitcode.size(); ++i)
    if (Error e = addTemporaryObject(objects))
      return e;
  // The machines are made here, not on the threads (the factory may use
  // state that is not thread-safe).
  std::vector<std::unique_ptr<TargetMachine>> machines;
  for (size_t i = 0; i < bitcode.size(); ++i)
    machines.push_back(makeTarget());
  std::vector<std::string> errors(bitcode.size());
  auto compile = [&](size_t i) {
    LLVMContext ctx;
    Expected<std::unique_ptr<Module>> m = parseBitcodeFile(
        MemoryBufferRef(StringRef(bitcode[i].data(), bitcode[i].size()),
                        "partition"),
        ctx);
    if (!m) {
      errors[i] = toString(m.takeError());
      return;
    }
    if (Error e = optimize(**m, machines[i].get())) {
      errors[i] = "LLVM optimization failed: " + toString(std::move(e));
      return;
    }
    if (Error e = writeObjectFile(**m, *machines[i], objects[first + i]))
      errors[i] = toString(std::move(e));
  };
  // The partitions' sizes differ (a function is never split): more
  // partitions than threads, taken largest first, keep the threads busy.
  std::vector<size_t> order(bitcode.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    size_t sa = bitcode[a].size(), sb = bitcode[b].size();
    return sa != sb ? sa > sb : a < b;
  });
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (size_t k; (k = next.fetch_add(1)) < order.size();)
        compile(order[k]);
    });
  for (std::thread &t : pool)
    t.join();
  for (const std::string &e : errors)
    if (!e.empty())
      return createStringError(inconvertibleErrorCode(), e);
  return Error::success();
}
