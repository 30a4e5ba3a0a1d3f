//===- llama-compile.cpp - GGUF model to native program ---------*- C++ -*-===//
//
// The ahead-of-time compiler driver. Until the end-to-end path lands (issue
// "Compiler end to end"), it only says so and exits non-zero, so that no
// script mistakes it for a working compiler.
//
//===----------------------------------------------------------------------===//

#include <cstdio>
#include <cstring>

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::printf("usage: llama-compile MODEL.gguf [--target=T] [-o OUT]\n"
                  "Compiles a Llama-family GGUF model into a native program.\n"
                  "Not yet implemented: use llama-opt for the dialect.\n");
      return 0;
    }
  }
  std::fprintf(stderr, "llama-compile: not yet implemented (the GGUF -> "
                       "native program path is future work); use llama-opt "
                       "to run the llama dialect passes\n");
  return 2;
}
