//===- LlamaMLIRPCH.cpp - Anchor for the precompiled headers ----*- C++ -*-===//
//
// An otherwise empty translation unit that owns the precompiled header
// LlamaMLIRPCH.h; other compiler targets reuse its PCH.
//
//===----------------------------------------------------------------------===//
