// RUN: not llama-compile model.gguf 2>&1 | FileCheck %s
// RUN: llama-compile --help | FileCheck %s --check-prefix=HELP

// Until the end-to-end path exists, llama-compile refuses to pretend.
// CHECK: llama-compile: not yet implemented
// HELP: usage: llama-compile MODEL.gguf
