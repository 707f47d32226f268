// fuzz_ops: the rows for API version 2 (what a GPT needs). Included by fuzz_ops.cpp inside its anonymous
// namespace, after Pool, Op, shape_from, dim_from, small_or_wild and expect_for, so the rows share them; the
// invariants are those of fuzz_ops.cpp's opening comment. Every argument that is a dim, size, count, eps
// or p comes from the input, including negative, zero, huge and NaN values and mismatched shapes.
#pragma once

// A float that is sometimes a plain probability or eps and sometimes anything (NaN, Inf, negative, huge).
double fraction_or_wild(FuzzedDataProvider& in) {
  return in.ConsumeBool() ? in.ConsumeProbability<double>() : in.ConsumeFloatingPoint<double>();
}

// Up to four pool members (each sometimes undefined), for cat and stack.
std::vector<mt::Tensor> pick_list(FuzzedDataProvider& in, const Pool& p) {
  std::vector<mt::Tensor> list(in.ConsumeIntegralInRange<size_t>(0, 4));
  for (auto& t : list) t = p.pick(in);
  return list;
}

// The broadcast numel of several shapes, or -1 when they do not broadcast (then the op must refuse).
long double broadcast_numel(const std::vector<mt::Shape>& shapes) {
  size_t rank = 0;
  for (const auto& s : shapes) rank = std::max(rank, s.size());
  long double n = 1;
  for (size_t i = 0; i < rank; ++i) {
    int64_t d = 1;
    for (const auto& s : shapes) {
      const int64_t e = i < rank - s.size() ? 1 : s[i - (rank - s.size())];
      if (e != 1 && d != 1 && e != d) return -1;
      if (e != 1) d = e;
    }
    n *= static_cast<long double>(d);
  }
  return n;
}

// One piece of a split/chunk result (pieces of a pool tensor stay small).
mt::Tensor piece(FuzzedDataProvider& in, const std::vector<mt::Tensor>& pieces) {
  if (pieces.empty()) return mt::Tensor();
  return pieces[in.ConsumeIntegralInRange<size_t>(0, pieces.size() - 1)];
}

const std::vector<Op>& ops_v2() {
  static const std::vector<Op> table{
      {"unsqueeze/squeeze", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor a = p.pick(in);
         switch (in.ConsumeIntegralInRange<int>(0, 2)) {
           case 0: return a.unsqueeze(small_or_wild(in));
           case 1: return a.squeeze(small_or_wild(in));
           default: return a.squeeze();
         }
       }},
      {"permute", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor a = p.pick(in);
         mt::Shape dims(in.ConsumeIntegralInRange<size_t>(0, 5));
         for (auto& d : dims) d = small_or_wild(in);
         return in.ConsumeBool() ? a.permute(dims) : mt::permute(a, dims).contiguous();
       }},
      {"narrow/select/slice", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor a = p.pick(in);
         const int64_t dim = small_or_wild(in), start = small_or_wild(in);
         switch (in.ConsumeIntegralInRange<int>(0, 2)) {
           case 0: return a.narrow(dim, start, small_or_wild(in));
           case 1: return a.select(dim, start);
           default: return a.slice(dim, start, small_or_wild(in));
         }
       }},
      {"split/chunk", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor a = p.pick(in);
         const int64_t size = small_or_wild(in), dim = small_or_wild(in);
         const std::vector<mt::Tensor> pieces = in.ConsumeBool() ? a.split(size, dim) : a.chunk(size, dim);
         for (const auto& t : pieces) check_result(t, "split/chunk");
         return piece(in, pieces);
       }},
      {"cat/stack", [](FuzzedDataProvider& in, const Pool& p) {
         const std::vector<mt::Tensor> list = pick_list(in, p);
         const int64_t dim = small_or_wild(in);
         return in.ConsumeBool() ? mt::cat(list, dim) : mt::stack(list, dim);
       }},
      {"to", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor a = p.pick(in);
         const int k = in.ConsumeIntegralInRange<int>(0, 3);
         return a.to(k == 0 ? mt::kFloat32 : k == 1 ? mt::kInt64 : k == 2 ? mt::kInt32 : mt::kBool);
       }},
      {"unary v2", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor a = p.pick(in);
         switch (in.ConsumeIntegralInRange<int>(0, 7)) {
           case 0: return mt::sqrt(a);
           case 1: return mt::rsqrt(a);
           case 2: return mt::pow(a, in.ConsumeFloatingPoint<double>());
           case 3: return mt::sigmoid(a);
           case 4: return mt::abs(a);
           case 5: return F::logsigmoid(a);
           case 6: return F::gelu(a);
           default: return F::gelu(a, F::GELUFuncOptions().approximate(in.ConsumeRandomLengthString(8)));
         }
       }},
      {"var", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor a = p.pick(in);
         const int64_t dim = small_or_wild(in);
         return a.var(dim, in.ConsumeBool(), in.ConsumeBool());
       }},
      {"max/argmax/topk", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor a = p.pick(in);
         const int64_t dim = small_or_wild(in);
         switch (in.ConsumeIntegralInRange<int>(0, 2)) {
           case 0: {
             auto [values, indices] = mt::max(a, dim, in.ConsumeBool());
             check_result(indices, "max");
             return values;
           }
           case 1: return mt::argmax(a, dim, in.ConsumeBool());
           default: {
             auto [values, indices] = mt::topk(a, small_or_wild(in), dim);
             check_result(indices, "topk");
             return values;
           }
         }
       }},
      {"multinomial", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor probs = p.pick(in);
         const int64_t n = small_or_wild(in);
         const bool replacement = in.ConsumeBool();
         const int64_t rows = probs.defined() && probs.dim() == 2 ? probs.shape()[0] : 1;
         if (replacement && n > 0 && expect_for({rows, n}, 8) == Expect::Skip) return mt::Tensor();
         return mt::multinomial(probs, n, replacement);
       }},
      {"compare", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor a = p.pick(in);
         const mt::Tensor b = in.ConsumeBool() ? p.pick(in) : mt::Tensor();
         const float s = in.ConsumeFloatingPoint<float>();
         switch (in.ConsumeIntegralInRange<int>(0, 5)) {
           case 0: return b.defined() ? a == b : a == s;
           case 1: return b.defined() ? a != b : a != s;
           case 2: return b.defined() ? a < b : a < s;
           case 3: return b.defined() ? a <= b : a <= s;
           case 4: return b.defined() ? a > b : a > s;
           default: return b.defined() ? a >= b : a >= s;
         }
       }},
      {"tril/triu", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor a = p.pick(in);
         const int64_t k = small_or_wild(in);
         return in.ConsumeBool() ? mt::tril(a, k) : mt::triu(a, k);
       }},
      {"masked_fill", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor a = p.pick(in), mask = p.pick(in);
         const float value =
             in.ConsumeBool() ? -std::numeric_limits<float>::infinity() : in.ConsumeFloatingPoint<float>();
         return in.ConsumeBool() ? a.masked_fill(mask, value) : mt::masked_fill(a, mask, value);
       }},
      {"where", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor cond = p.pick(in), a = p.pick(in), b = p.pick(in);
         // Three small tensors can broadcast to 1024^3 elements: only the machine would be measured.
         if (cond.defined() && a.defined() && b.defined() &&
             broadcast_numel({cond.shape(), a.shape(), b.shape()}) > (1 << 20))
           return mt::Tensor();
         return mt::where(cond, a, b);
       }},
      {"in place", [](FuzzedDataProvider& in, const Pool& p) {
         mt::Tensor a = p.pick(in);
         const mt::Tensor b = p.pick(in);
         switch (in.ConsumeIntegralInRange<int>(0, 4)) {
           case 0: return a.add_(b);
           case 1: return a.mul_(b);
           case 2: return a.mul_(in.ConsumeFloatingPoint<float>());
           case 3: return a.zero_();
           default: return a.fill_(in.ConsumeFloatingPoint<float>());
         }
       }},
      {"F::softmax", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor a = p.pick(in);
         return F::softmax(a, F::SoftmaxFuncOptions(small_or_wild(in)));
       }},
      {"layer_norm", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor x = p.pick(in);
         // Mostly the trailing dims of x (what a model passes), sometimes any shape.
         mt::Shape normalized = shape_from(in, 3);
         if (x.defined() && in.ConsumeBool()) {
           const size_t n = std::min(x.shape().size(), in.ConsumeIntegralInRange<size_t>(0, 3));
           normalized.assign(x.shape().end() - static_cast<long>(n), x.shape().end());
         }
         F::LayerNormFuncOptions o(normalized);
         if (in.ConsumeBool()) o.weight(p.pick(in));
         if (in.ConsumeBool()) o.bias(p.pick(in));
         if (in.ConsumeBool()) o.eps(in.ConsumeFloatingPoint<double>());
         return F::layer_norm(x, o);
       }},
      {"nn::LayerNorm", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor x = p.pick(in);
         mt::Shape normalized = shape_from(in, 2);
         if (expect_for(normalized, 4) != Expect::Build) normalized = {in.ConsumeIntegralInRange<int64_t>(-2, 4)};
         mt::nn::LayerNorm ln(mt::nn::LayerNormOptions(normalized)
                                  .eps(fraction_or_wild(in))
                                  .elementwise_affine(in.ConsumeBool())
                                  .bias(in.ConsumeBool()));
         return ln(x);
       }},
      {"dropout", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor x = p.pick(in);
         const double prob = fraction_or_wild(in);
         if (in.ConsumeBool()) return F::dropout(x, F::DropoutFuncOptions().p(prob).training(in.ConsumeBool()));
         mt::nn::Dropout drop{mt::nn::DropoutOptions(prob)};
         if (in.ConsumeBool()) drop.eval();
         return drop(x);
       }},
      {"scaled_dot_product_attention", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor q = p.pick(in), k = p.pick(in), v = p.pick(in);
         const mt::Tensor mask = in.ConsumeBool() ? p.pick(in) : mt::Tensor();
         const double dropout_p = in.ConsumeBool() ? 0.0 : fraction_or_wild(in);
         std::optional<double> scale;
         if (in.ConsumeBool()) scale = in.ConsumeFloatingPoint<double>();
         return F::scaled_dot_product_attention(q, k, v, mask, dropout_p, in.ConsumeBool(), scale);
       }},
      {"cross_entropy v2", [](FuzzedDataProvider& in, const Pool& p) {
         // (N, V, d1...) logits with (N, d1...) targets, built from a pool tensor so the shapes often fit.
         const mt::Tensor logits = p.pick(in);
         mt::Tensor targets = p.pick(in);
         if (logits.defined() && logits.dim() >= 1 && in.ConsumeBool()) {
           mt::Shape t = logits.shape();
           t.erase(t.begin() + (t.size() > 1 ? 1 : 0));
           if (expect_for(t, 8) == Expect::Build) targets = mt::randint(-2, 6, t);
         }
         F::CrossEntropyFuncOptions o;
         if (in.ConsumeBool()) o.ignore_index(small_or_wild(in));
         return F::cross_entropy(logits, targets, o);
       }},
      {"clip_grad_norm_", [](FuzzedDataProvider& in, const Pool& p) {
         std::vector<mt::Tensor> params;
         for (const auto& t : p.tensors)
           if (t.is_leaf() && t.requires_grad()) params.push_back(t);
         const double max_norm = in.ConsumeFloatingPoint<double>();
         const double norm_type = in.ConsumeBool() ? 2.0 : in.ConsumeFloatingPoint<double>();
         const bool error_if_nonfinite = in.ConsumeBool();
         try {
           (void)mt::nn::utils::clip_grad_norm_(params, max_norm, norm_type, error_if_nonfinite);
         } catch (const std::runtime_error& e) {
           // Documented: error_if_nonfinite and a NaN or Inf total norm.
           if (!error_if_nonfinite || std::string(e.what()).rfind("clip_grad_norm_: ", 0) != 0) throw;
         }
         return mt::Tensor();
       }},
      {"backward", [](FuzzedDataProvider& in, const Pool& p) {
         // Backward through whatever chain of v2 ops produced a pool member, mid-sequence (not only at the end).
         const mt::Tensor a = p.pick(in);
         if (a.defined() && a.dtype() == mt::kFloat32 && a.requires_grad()) a.sum().backward();
         return mt::Tensor();
       }},
  };
  return table;
}
