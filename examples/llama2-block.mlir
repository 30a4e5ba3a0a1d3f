// A complete 2-layer Llama-2 model step in the llama dialect, shaped like
// stories260K (dim 64, hidden_dim 172, GQA with n_heads 8 and n_kv_heads 4,
// head_dim 8, vocab 512, n_ctx 128), with a mix of weight types.
//
// @forward evaluates `seq` tokens at positions `pos` (a prompt for prefill,
// one token for decode), appends their keys and values to the KV cache and
// returns the logits of every evaluated token.
//
// Try: llama-opt examples/llama2-block.mlir --llama-lower-to-linalg

func.func @forward(%tokens: tensor<?xi32>, %pos: tensor<?xi32>, %cache: !llama.kv_cache<2x128x4x8xf32>) -> tensor<?x512xf32> {
  %c0 = arith.constant 0 : index
  %seq = tensor.dim %tokens, %c0 : tensor<?xi32>
  %emb = llama.weight "token_embd.weight" : !llama.weight<512x64xq8_0>
  %x0 = llama.embedding %emb, %tokens : (!llama.weight<512x64xq8_0>, tensor<?xi32>) -> tensor<?x64xf32>

  // ---- blk.0 ----
  %l0_an = llama.weight "blk.0.attn_norm.weight" : !llama.weight<64xf32>
  %l0_xn = llama.rms_norm %x0, %l0_an {epsilon = 1.0e-05 : f32} : (tensor<?x64xf32>, !llama.weight<64xf32>) -> tensor<?x64xf32>
  %l0_wq = llama.weight "blk.0.attn_q.weight" : !llama.weight<64x64xq4_0>
  %l0_wk = llama.weight "blk.0.attn_k.weight" : !llama.weight<32x64xq4_0>
  %l0_wv = llama.weight "blk.0.attn_v.weight" : !llama.weight<32x64xq8_0>
  %l0_q = llama.matmul %l0_xn, %l0_wq : (tensor<?x64xf32>, !llama.weight<64x64xq4_0>) -> tensor<?x64xf32>
  %l0_k = llama.matmul %l0_xn, %l0_wk : (tensor<?x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<?x32xf32>
  %l0_v = llama.matmul %l0_xn, %l0_wv : (tensor<?x64xf32>, !llama.weight<32x64xq8_0>) -> tensor<?x32xf32>
  %l0_q3 = tensor.expand_shape %l0_q [[0], [1, 2]] output_shape [%seq, 8, 8] : tensor<?x64xf32> into tensor<?x8x8xf32>
  %l0_k3 = tensor.expand_shape %l0_k [[0], [1, 2]] output_shape [%seq, 4, 8] : tensor<?x32xf32> into tensor<?x4x8xf32>
  %l0_v3 = tensor.expand_shape %l0_v [[0], [1, 2]] output_shape [%seq, 4, 8] : tensor<?x32xf32> into tensor<?x4x8xf32>
  %l0_qr = llama.rope %l0_q3, %pos {n_rot = 8 : i64, theta = 10000.0 : f32} : (tensor<?x8x8xf32>, tensor<?xi32>) -> tensor<?x8x8xf32>
  %l0_kr = llama.rope %l0_k3, %pos {n_rot = 8 : i64, theta = 10000.0 : f32} : (tensor<?x4x8xf32>, tensor<?xi32>) -> tensor<?x4x8xf32>
  %l0_att = llama.attention %l0_qr, %l0_kr, %l0_v3, %pos, %cache {layer = 0 : i64}
      : (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>, tensor<?xi32>, !llama.kv_cache<2x128x4x8xf32>) -> tensor<?x8x8xf32>
  %l0_att2 = tensor.collapse_shape %l0_att [[0], [1, 2]] : tensor<?x8x8xf32> into tensor<?x64xf32>
  %l0_wo = llama.weight "blk.0.attn_output.weight" : !llama.weight<64x64xq4_0>
  %l0_o = llama.matmul %l0_att2, %l0_wo : (tensor<?x64xf32>, !llama.weight<64x64xq4_0>) -> tensor<?x64xf32>
  %l0_h = arith.addf %x0, %l0_o : tensor<?x64xf32>
  %l0_fn = llama.weight "blk.0.ffn_norm.weight" : !llama.weight<64xf32>
  %l0_hn = llama.rms_norm %l0_h, %l0_fn {epsilon = 1.0e-05 : f32} : (tensor<?x64xf32>, !llama.weight<64xf32>) -> tensor<?x64xf32>
  %l0_wg = llama.weight "blk.0.ffn_gate.weight" : !llama.weight<172x64xq4_0>
  %l0_wu = llama.weight "blk.0.ffn_up.weight" : !llama.weight<172x64xq4_0>
  %l0_wd = llama.weight "blk.0.ffn_down.weight" : !llama.weight<64x172xf16>
  %l0_g = llama.matmul %l0_hn, %l0_wg : (tensor<?x64xf32>, !llama.weight<172x64xq4_0>) -> tensor<?x172xf32>
  %l0_u = llama.matmul %l0_hn, %l0_wu : (tensor<?x64xf32>, !llama.weight<172x64xq4_0>) -> tensor<?x172xf32>
  %l0_s = llama.swiglu %l0_g, %l0_u : (tensor<?x172xf32>, tensor<?x172xf32>) -> tensor<?x172xf32>
  %l0_d = llama.matmul %l0_s, %l0_wd : (tensor<?x172xf32>, !llama.weight<64x172xf16>) -> tensor<?x64xf32>
  %l0_out = arith.addf %l0_h, %l0_d : tensor<?x64xf32>

  // ---- blk.1 ----
  %l1_an = llama.weight "blk.1.attn_norm.weight" : !llama.weight<64xf32>
  %l1_xn = llama.rms_norm %l0_out, %l1_an {epsilon = 1.0e-05 : f32} : (tensor<?x64xf32>, !llama.weight<64xf32>) -> tensor<?x64xf32>
  %l1_wq = llama.weight "blk.1.attn_q.weight" : !llama.weight<64x64xq4_0>
  %l1_wk = llama.weight "blk.1.attn_k.weight" : !llama.weight<32x64xq4_0>
  %l1_wv = llama.weight "blk.1.attn_v.weight" : !llama.weight<32x64xq8_0>
  %l1_q = llama.matmul %l1_xn, %l1_wq : (tensor<?x64xf32>, !llama.weight<64x64xq4_0>) -> tensor<?x64xf32>
  %l1_k = llama.matmul %l1_xn, %l1_wk : (tensor<?x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<?x32xf32>
  %l1_v = llama.matmul %l1_xn, %l1_wv : (tensor<?x64xf32>, !llama.weight<32x64xq8_0>) -> tensor<?x32xf32>
  %l1_q3 = tensor.expand_shape %l1_q [[0], [1, 2]] output_shape [%seq, 8, 8] : tensor<?x64xf32> into tensor<?x8x8xf32>
  %l1_k3 = tensor.expand_shape %l1_k [[0], [1, 2]] output_shape [%seq, 4, 8] : tensor<?x32xf32> into tensor<?x4x8xf32>
  %l1_v3 = tensor.expand_shape %l1_v [[0], [1, 2]] output_shape [%seq, 4, 8] : tensor<?x32xf32> into tensor<?x4x8xf32>
  %l1_qr = llama.rope %l1_q3, %pos {n_rot = 8 : i64, theta = 10000.0 : f32} : (tensor<?x8x8xf32>, tensor<?xi32>) -> tensor<?x8x8xf32>
  %l1_kr = llama.rope %l1_k3, %pos {n_rot = 8 : i64, theta = 10000.0 : f32} : (tensor<?x4x8xf32>, tensor<?xi32>) -> tensor<?x4x8xf32>
  %l1_att = llama.attention %l1_qr, %l1_kr, %l1_v3, %pos, %cache {layer = 1 : i64}
      : (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>, tensor<?xi32>, !llama.kv_cache<2x128x4x8xf32>) -> tensor<?x8x8xf32>
  %l1_att2 = tensor.collapse_shape %l1_att [[0], [1, 2]] : tensor<?x8x8xf32> into tensor<?x64xf32>
  %l1_wo = llama.weight "blk.1.attn_output.weight" : !llama.weight<64x64xq4_0>
  %l1_o = llama.matmul %l1_att2, %l1_wo : (tensor<?x64xf32>, !llama.weight<64x64xq4_0>) -> tensor<?x64xf32>
  %l1_h = arith.addf %l0_out, %l1_o : tensor<?x64xf32>
  %l1_fn = llama.weight "blk.1.ffn_norm.weight" : !llama.weight<64xf32>
  %l1_hn = llama.rms_norm %l1_h, %l1_fn {epsilon = 1.0e-05 : f32} : (tensor<?x64xf32>, !llama.weight<64xf32>) -> tensor<?x64xf32>
  %l1_wg = llama.weight "blk.1.ffn_gate.weight" : !llama.weight<172x64xq4_0>
  %l1_wu = llama.weight "blk.1.ffn_up.weight" : !llama.weight<172x64xq4_0>
  %l1_wd = llama.weight "blk.1.ffn_down.weight" : !llama.weight<64x172xf16>
  %l1_g = llama.matmul %l1_hn, %l1_wg : (tensor<?x64xf32>, !llama.weight<172x64xq4_0>) -> tensor<?x172xf32>
  %l1_u = llama.matmul %l1_hn, %l1_wu : (tensor<?x64xf32>, !llama.weight<172x64xq4_0>) -> tensor<?x172xf32>
  %l1_s = llama.swiglu %l1_g, %l1_u : (tensor<?x172xf32>, tensor<?x172xf32>) -> tensor<?x172xf32>
  %l1_d = llama.matmul %l1_s, %l1_wd : (tensor<?x172xf32>, !llama.weight<64x172xf16>) -> tensor<?x64xf32>
  %l1_out = arith.addf %l1_h, %l1_d : tensor<?x64xf32>

  // ---- final norm and logits ----
  %onw = llama.weight "output_norm.weight" : !llama.weight<64xf32>
  %xf = llama.rms_norm %l1_out, %onw {epsilon = 1.0e-05 : f32} : (tensor<?x64xf32>, !llama.weight<64xf32>) -> tensor<?x64xf32>
  %wout = llama.weight "output.weight" : !llama.weight<512x64xq8_0>
  %logits = llama.matmul %xf, %wout : (tensor<?x64xf32>, !llama.weight<512x64xq8_0>) -> tensor<?x512xf32>
  return %logits : tensor<?x512xf32>
}
