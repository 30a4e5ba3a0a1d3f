/*===- ABIHeaderC.c - llama_abi.h compiled as C -------------------------===*
 *
 * The ABI header is plain C: this file includes it in a C99 translation unit
 * (built with -std=c99 -pedantic-errors -Werror) and reports the layout a C
 * compiler gives its types, which ABITest.cpp compares with C++'s.
 *
 *===----------------------------------------------------------------------===*/

#include "llama-mlir/ABI/llama_abi.h"

size_t llama_abi_test_c_memref_size(int rank) {
  switch (rank) {
  case 1:
    return sizeof(struct llama_abi_memref1);
  case 2:
    return sizeof(struct llama_abi_memref2);
  case 4:
    return sizeof(struct llama_abi_memref4);
  default:
    return 0;
  }
}

size_t llama_abi_test_c_strides_offset(void) {
  return offsetof(struct llama_abi_memref4, strides);
}

int llama_abi_test_c_num_args(void) { return LLAMA_ABI_NUM_ARGS; }
