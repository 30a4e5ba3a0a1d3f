// RUN: llama-opt %S/../../../examples/llama2-block.mlir | llama-opt | FileCheck %s

// The complete 2-layer Llama-2 model of examples/llama2-block.mlir (GQA:
// n_heads 8, n_kv_heads 4) parses, verifies and round-trips; the checks follow
// the dataflow of the first layer and the output head.

// CHECK-LABEL: func.func @forward
// CHECK-SAME: (%[[TOK:.*]]: tensor<?xi32>, %[[POS:.*]]: tensor<?xi32>, %[[CACHE:.*]]: !llama.kv_cache<2x128x4x8xf32>) -> tensor<?x512xf32>
// CHECK: %[[EMB:.*]] = llama.weight "token_embd.weight" : !llama.weight<512x64xq8_0>
// CHECK: %[[X0:.*]] = llama.embedding %[[EMB]], %[[TOK]]
// CHECK: %[[AN:.*]] = llama.weight "blk.0.attn_norm.weight" : !llama.weight<64xf32>
// CHECK: %[[XN:.*]] = llama.rms_norm %[[X0]], %[[AN]] {epsilon = 9.99999974E-6 : f32}
// CHECK: %[[Q:.*]] = llama.matmul %[[XN]], %{{.*}} : (tensor<?x64xf32>, !llama.weight<64x64xq4_0>)
// CHECK: %[[K:.*]] = llama.matmul %[[XN]], %{{.*}} : (tensor<?x64xf32>, !llama.weight<32x64xq4_0>)
// CHECK: %[[V:.*]] = llama.matmul %[[XN]], %{{.*}} : (tensor<?x64xf32>, !llama.weight<32x64xq8_0>)
// CHECK: %[[Q3:.*]] = tensor.expand_shape %[[Q]]
// CHECK: %[[K3:.*]] = tensor.expand_shape %[[K]]
// CHECK: %[[V3:.*]] = tensor.expand_shape %[[V]]
// CHECK: %[[QR:.*]] = llama.rope %[[Q3]], %[[POS]] {n_rot = 8 : i64, theta = 1.000000e+04 : f32}
// CHECK: %[[KR:.*]] = llama.rope %[[K3]], %[[POS]]
// CHECK: %[[ATT:.*]] = llama.attention %[[QR]], %[[KR]], %[[V3]], %[[POS]], %[[CACHE]] {layer = 0 : i64}
// CHECK: %[[ATT2:.*]] = tensor.collapse_shape %[[ATT]]
// CHECK: %[[O:.*]] = llama.matmul %[[ATT2]]
// CHECK: %[[H:.*]] = arith.addf %[[X0]], %[[O]] : tensor<?x64xf32>
// CHECK: %[[G:.*]] = llama.matmul
// CHECK: %[[U:.*]] = llama.matmul
// CHECK: %[[S:.*]] = llama.swiglu %[[G]], %[[U]] : (tensor<?x172xf32>, tensor<?x172xf32>) -> tensor<?x172xf32>
// CHECK: %[[D:.*]] = llama.matmul %[[S]], %{{.*}} : (tensor<?x172xf32>, !llama.weight<64x172xf16>)
// CHECK: %[[X1:.*]] = arith.addf %[[H]], %[[D]]
// CHECK: llama.attention {{.*}} {layer = 1 : i64}
// CHECK: %[[ON:.*]] = llama.weight "output_norm.weight"
// CHECK: %[[OUT:.*]] = llama.weight "output.weight" : !llama.weight<512x64xq8_0>
// CHECK: %[[LOGITS:.*]] = llama.matmul %{{.*}}, %[[OUT]] : (tensor<?x64xf32>, !llama.weight<512x64xq8_0>) -> tensor<?x512xf32>
// CHECK: return %[[LOGITS]]
