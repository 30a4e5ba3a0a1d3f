//===- SharedModels.h - Tests that read ../shared/models ---------*- C++
//-*-===//
//
// Tests that need the shared models skip, with a message, where they are
// absent (outside this project's machines), but fail in CI (the CI
// environment variable set), where the models are always there: a missing
// copy must not turn golden and tokenizer checks into silent passes.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_UNITTESTS_SHAREDMODELS_H
#define LLAMA_MLIR_UNITTESTS_SHAREDMODELS_H

#include "gtest/gtest.h"

#include <cstdlib>

#define SKIP_WITHOUT_SHARED_MODELS(msg)                                        \
  do {                                                                         \
    if (std::getenv("CI"))                                                     \
      FAIL() << msg << " (CI has ../shared/models: this is a failure there)";  \
    GTEST_SKIP() << msg;                                                       \
  } while (0)

#endif // LLAMA_MLIR_UNITTESTS_SHAREDMODELS_H
