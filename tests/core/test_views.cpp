// Views as PyTorch's: a write through every view kind reaches the base (the base's values after each write
// are PyTorch 1.13's, from tests/core/pytorch/views.py), each view's sizes, strides, offset and contiguity,
// contiguous() and reshape() copying only when they must, and the strided copy against its plain loop.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>
#include <microtorch/core/ops/strided.h>

#include <functional>
#include <string>
#include <vector>

namespace mt = microtorch;

namespace {

mt::Tensor base() { return mt::arange(24).to(mt::kFloat32).reshape({2, 3, 4}); }

struct Write {
  const char* name;
  std::function<void(mt::Tensor&)> write;
};

// Each writes through a view of x, as views.py does in PyTorch.
const Write kWrites[] = {
    {"view", [](mt::Tensor& x) { x.view({6, 4}).select(0, 1).fill_(-1); }},
    {"reshape", [](mt::Tensor& x) { x.reshape({4, 6}).select(1, 0).fill_(-1); }},
    {"narrow", [](mt::Tensor& x) { x.narrow(2, 1, 2).fill_(-1); }},
    {"select", [](mt::Tensor& x) { x.select(1, 2).fill_(-1); }},
    {"slice_step", [](mt::Tensor& x) { x.slice(2, 0, 4, 2).fill_(-1); }},
    {"transpose", [](mt::Tensor& x) { x.transpose(0, 2).select(0, 3).fill_(-1); }},
    {"t", [](mt::Tensor& x) { x.select(0, 0).t().select(0, 1).fill_(-1); }},
    {"permute", [](mt::Tensor& x) { x.permute({2, 0, 1}).select(0, 1).select(0, 1).fill_(-1); }},
    {"unsqueeze", [](mt::Tensor& x) { x.unsqueeze(1).select(0, 1).select(0, 0).select(0, 0).fill_(-1); }},
    {"squeeze", [](mt::Tensor& x) { x.slice(0, 0, 1).squeeze(0).select(0, 2).fill_(-1); }},
    {"split", [](mt::Tensor& x) { x.split(2, 2)[1].fill_(-1); }},
    {"chunk", [](mt::Tensor& x) { x.chunk(3, 1)[2].fill_(-1); }},
    {"unbind", [](mt::Tensor& x) { x.unbind(2)[3].fill_(-1); }},
    {"diagonal", [](mt::Tensor& x) { x.select(0, 1).diagonal(1).fill_(-1); }},
    {"detach", [](mt::Tensor& x) { x.detach().select(0, 0).select(0, 0).fill_(-1); }},
    {"copy_into_narrow", [](mt::Tensor& x) { x.narrow(1, 1, 2).copy_(mt::tensor({7.f, 8.f, 9.f, 10.f})); }},
    {"add_into_transposed", [](mt::Tensor& x) { x.select(0, 1).t().add_(mt::arange(3).to(mt::kFloat32)); }},
    {"mul_into_diagonal", [](mt::Tensor& x) { x.select(0, 0).diagonal().mul_(mt::full({}, 10.0f)); }},
};

// PyTorch's base after each write (views.py).
const std::pair<const char*, std::vector<float>> kAfter[] = {
    {"view", {0, 1, 2, 3, -1, -1, -1, -1, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}},
    {"reshape", {-1, 1, 2, 3, 4, 5, -1, 7, 8, 9, 10, 11, -1, 13, 14, 15, 16, 17, -1, 19, 20, 21, 22, 23}},
    {"narrow", {0, -1, -1, 3, 4, -1, -1, 7, 8, -1, -1, 11, 12, -1, -1, 15, 16, -1, -1, 19, 20, -1, -1, 23}},
    {"select", {0, 1, 2, 3, 4, 5, 6, 7, -1, -1, -1, -1, 12, 13, 14, 15, 16, 17, 18, 19, -1, -1, -1, -1}},
    {"slice_step", {-1, 1, -1, 3, -1, 5, -1, 7, -1, 9, -1, 11, -1, 13, -1, 15, -1, 17, -1, 19, -1, 21, -1, 23}},
    {"transpose", {0, 1, 2, -1, 4, 5, 6, -1, 8, 9, 10, -1, 12, 13, 14, -1, 16, 17, 18, -1, 20, 21, 22, -1}},
    {"t", {0, -1, 2, 3, 4, -1, 6, 7, 8, -1, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}},
    {"permute", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, -1, 14, 15, 16, -1, 18, 19, 20, -1, 22, 23}},
    {"unsqueeze", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, -1, -1, -1, -1, 16, 17, 18, 19, 20, 21, 22, 23}},
    {"squeeze", {0, 1, 2, 3, 4, 5, 6, 7, -1, -1, -1, -1, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}},
    {"split", {0, 1, -1, -1, 4, 5, -1, -1, 8, 9, -1, -1, 12, 13, -1, -1, 16, 17, -1, -1, 20, 21, -1, -1}},
    {"chunk", {0, 1, 2, 3, 4, 5, 6, 7, -1, -1, -1, -1, 12, 13, 14, 15, 16, 17, 18, 19, -1, -1, -1, -1}},
    {"unbind", {0, 1, 2, -1, 4, 5, 6, -1, 8, 9, 10, -1, 12, 13, 14, -1, 16, 17, 18, -1, 20, 21, 22, -1}},
    {"diagonal", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, -1, 14, 15, 16, 17, -1, 19, 20, 21, 22, -1}},
    {"detach", {-1, -1, -1, -1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}},
    {"copy_into_narrow", {0, 1, 2, 3, 7, 8, 9, 10, 7, 8, 9, 10, 12, 13, 14, 15, 7, 8, 9, 10, 7, 8, 9, 10}},
    {"add_into_transposed", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17, 18, 19, 20, 22, 23, 24, 25}},
    {"mul_into_diagonal", {0, 1, 2, 3, 4, 50, 6, 7, 8, 9, 100, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}},
};

struct Geometry {
  const char* name;
  std::function<mt::Tensor(const mt::Tensor&)> view;
  mt::Shape sizes, strides;
  int64_t offset;
  bool contiguous;
  std::vector<float> values;
};

// PyTorch's geometry and values of each view of base() (views.py).
const Geometry kGeometries[] = {
    {"narrow", [](const mt::Tensor& x) { return x.narrow(2, 1, 2); }, {2, 3, 2}, {12, 4, 1}, 1, false,
     {1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22}},
    {"select", [](const mt::Tensor& x) { return x.select(1, 2); }, {2, 4}, {12, 1}, 8, false, {8, 9, 10, 11, 20, 21, 22, 23}},
    {"slice_step", [](const mt::Tensor& x) { return x.slice(1, 1, 3).slice(2, 0, 4, 3); }, {2, 2, 2}, {12, 4, 3}, 4, false,
     {4, 7, 8, 11, 16, 19, 20, 23}},
    {"transpose", [](const mt::Tensor& x) { return x.transpose(0, 2); }, {4, 3, 2}, {1, 4, 12}, 0, false,
     {0, 12, 4, 16, 8, 20, 1, 13, 5, 17, 9, 21, 2, 14, 6, 18, 10, 22, 3, 15, 7, 19, 11, 23}},
    {"permute", [](const mt::Tensor& x) { return x.permute({2, 0, 1}); }, {4, 2, 3}, {1, 12, 4}, 0, false,
     {0, 4, 8, 12, 16, 20, 1, 5, 9, 13, 17, 21, 2, 6, 10, 14, 18, 22, 3, 7, 11, 15, 19, 23}},
    {"expand", [](const mt::Tensor& x) { return x.slice(1, 0, 1).expand({2, 5, 4}); }, {2, 5, 4}, {12, 0, 1}, 0, false,
     {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 12, 13, 14, 15, 12, 13, 14, 15, 12, 13, 14, 15, 12, 13,
      14, 15, 12, 13, 14, 15}},
    {"expand_new", [](const mt::Tensor& x) { return x.select(0, 0).select(0, 0).expand({3, 4}); }, {3, 4}, {0, 1}, 0, false,
     {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3}},
    {"unsqueeze", [](const mt::Tensor& x) { return x.transpose(1, 2).unsqueeze(2); }, {2, 4, 1, 3}, {12, 1, 12, 4}, 0, false,
     {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11, 12, 16, 20, 13, 17, 21, 14, 18, 22, 15, 19, 23}},
    {"diagonal", [](const mt::Tensor& x) { return x.diagonal(-1, 1, 2); }, {2, 2}, {12, 5}, 4, false, {4, 9, 16, 21}},
    {"view_of_narrow", [](const mt::Tensor& x) { return x.narrow(2, 0, 4).view({2, 12}); }, {2, 12}, {12, 1}, 0, true,
     {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}},
    {"reshape_of_transpose", [](const mt::Tensor& x) { return x.transpose(1, 2).reshape({2, 12}); }, {2, 12}, {12, 1}, 0,
     true, {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11, 12, 16, 20, 13, 17, 21, 14, 18, 22, 15, 19, 23}},
    {"view_split_of_narrow", [](const mt::Tensor& x) { return x.narrow(1, 1, 2).view({2, 2, 2, 2}); }, {2, 2, 2, 2},
     {12, 4, 2, 1}, 4, false, {4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23}},
};

}  // namespace

TEST_CASE("views: a write through every view kind reaches the base, as PyTorch") {
  for (const Write& w : kWrites) {
    INFO("view kind " << w.name);
    mt::Tensor x = base();
    w.write(x);
    const std::vector<float>* want = nullptr;
    for (const auto& [name, values] : kAfter)
      if (std::string(name) == w.name) want = &values;
    REQUIRE(want);
    CHECK(x.to_vector<float>() == *want);
  }
}

TEST_CASE("views: sizes, strides, storage offset, contiguity and values, as PyTorch") {
  for (const Geometry& g : kGeometries) {
    INFO("view " << g.name);
    const mt::Tensor x = base();
    const mt::Tensor v = g.view(x);
    CHECK(v.sizes() == g.sizes);
    CHECK(v.strides() == g.strides);
    CHECK(v.storage_offset() == g.offset);
    CHECK(v.is_contiguous() == g.contiguous);
    CHECK(v.to_vector<float>() == g.values);
    if (std::string(g.name) != "reshape_of_transpose") CHECK(v.is_view());
    for (int64_t d = 0; d < v.dim(); ++d) CHECK(v.stride(d) == g.strides[d]);
  }
}

TEST_CASE("views: another view of the same storage sees a write, and the base's version moves") {
  mt::Tensor x = base().clone();  // not itself a view
  mt::Tensor col = x.select(2, 1), row = x.select(1, 0);
  row.fill_(100.0f);  // x[:, 0, :]
  CHECK(col.to_vector<float>() == std::vector<float>{100, 5, 9, 100, 17, 21});
  CHECK(col._base().is_same(x));
  CHECK(x.narrow(0, 1, 1).squeeze(0).t()._base().is_same(x));  // a view of a view: the base is the first tensor
  CHECK_FALSE(x.detach().is_view());
}

TEST_CASE("views: contiguous() is the tensor itself when contiguous, a row-major copy otherwise") {
  mt::Tensor x = base();
  CHECK(x.contiguous().is_same(x));
  mt::Tensor t = x.transpose(0, 1);
  mt::Tensor c = t.contiguous();
  CHECK_FALSE(c.is_same(t));
  CHECK(c.is_contiguous());
  CHECK(c.to_vector<float>() == t.to_vector<float>());
  c.fill_(0);  // a copy: x is untouched
  CHECK(x.to_vector<float>()[1] == 1.0f);
  mt::Tensor flat = t.reshape({-1});  // the strides cannot show it: reshape copies
  CHECK_FALSE(flat.is_view());
  CHECK_THROWS_AS(t.view({-1}), std::invalid_argument);
  CHECK(x.reshape({6, 4}).is_view());  // they can: a view
  CHECK(x.select(0, 0).t().is_contiguous() == false);
}

TEST_CASE("views: expand repeats through stride 0 and refuses a write, errors name the sizes") {
  mt::Tensor row = mt::tensor({1.f, 2.f, 3.f}, {1, 3});
  mt::Tensor e = row.expand({4, -1});
  CHECK(e.strides() == mt::Shape{0, 1});
  CHECK(e.sum().item<float>() == 24.0f);
  CHECK_THROWS_AS(e.fill_(0), std::invalid_argument);  // several elements share one memory location
  CHECK_THROWS_AS(row.expand({4, 2}), std::invalid_argument);
  CHECK_THROWS_AS(row.expand({3}), std::invalid_argument);
  CHECK(row.expand_as(mt::zeros({2, 1, 3})).shape() == mt::Shape{2, 1, 3});
}

TEST_CASE("views: unbind, t, diagonal and slice with a step, their edges") {
  mt::Tensor m = mt::arange(6).to(mt::kFloat32).reshape({2, 3});
  const std::vector<mt::Tensor> cols = m.unbind(1);
  REQUIRE(cols.size() == 3);
  CHECK(cols[2].to_vector<float>() == std::vector<float>{2, 5});
  CHECK(m.t().shape() == mt::Shape{3, 2});
  CHECK(mt::tensor({1.f, 2.f}).t().shape() == mt::Shape{2});
  CHECK_THROWS_AS(base().t(), std::invalid_argument);
  CHECK(m.diagonal().to_vector<float>() == std::vector<float>{0, 4});
  CHECK(m.diagonal(2).to_vector<float>() == std::vector<float>{2});
  CHECK(m.diagonal(5).numel() == 0);
  CHECK(m.diagonal(-1).to_vector<float>() == std::vector<float>{3});
  CHECK_THROWS_AS(m.diagonal(0, 1, 1), std::invalid_argument);
  CHECK(m.slice(1, 0, 3, 2).to_vector<float>() == std::vector<float>{0, 2, 3, 5});
  CHECK(m.slice(1, 1, 100, 5).to_vector<float>() == std::vector<float>{1, 4});
  CHECK_THROWS_AS(m.slice(1, 0, 3, 0), std::invalid_argument);
}

TEST_CASE("views: copy_strided gives the plain loop's values for every layout and dtype pair") {
  const mt::Tensor x = base();
  const std::vector<std::function<mt::Tensor(const mt::Tensor&)>> layouts = {
      [](const mt::Tensor& t) { return t; },
      [](const mt::Tensor& t) { return t.transpose(0, 2); },
      [](const mt::Tensor& t) { return t.permute({1, 2, 0}); },
      [](const mt::Tensor& t) { return t.narrow(2, 1, 3).slice(1, 0, 3, 2); },
  };
  for (size_t i = 0; i < layouts.size(); ++i)
    for (mt::Dtype from : {mt::kFloat32, mt::kInt64, mt::kFloat64})
      for (mt::Dtype to : {mt::kFloat32, mt::kInt32, mt::kBFloat16}) {
        INFO("layout " << i << " from " << mt::dtype_name(from) << " to " << mt::dtype_name(to));
        const mt::Tensor src = layouts[i](x.to(from));
        const mt::Shape& s = src.shape();
        mt::Tensor fast = mt::empty({s[2], s[1], s[0]}, to).permute({2, 1, 0}), plain = mt::empty(s, to);
        mt::detail::copy_strided(fast, src);  // into a transposed layout
        mt::detail::copy_strided_plain(plain, src);
        CHECK(fast.to(mt::kFloat64).to_vector<double>() == plain.to(mt::kFloat64).to_vector<double>());
      }
}

TEST_CASE("views: a cast between two contiguous tensors gives the plain loop's values for every dtype pair") {
  const std::vector<mt::Dtype> dtypes = {mt::kFloat32, mt::kFloat64, mt::kFloat16, mt::kBFloat16, mt::kInt64, mt::kInt32, mt::kBool};
  std::vector<double> v;
  for (int i = -40; i < 40; ++i) v.push_back(0.37 * i);  // fractions, negatives, 0
  const mt::Tensor values = mt::tensor(v, {4, 20});
  for (mt::Dtype from : dtypes)
    for (mt::Dtype to : dtypes) {
      INFO("from " << mt::dtype_name(from) << " to " << mt::dtype_name(to));
      const mt::Tensor src = mt::empty(values.shape(), from);  // made by the plain loop too
      mt::detail::copy_strided_plain(src, values);
      mt::Tensor fast = mt::zeros(src.shape(), to), plain = mt::ones(src.shape(), to);  // a skipped element shows
      mt::detail::copy_strided(fast, src);
      mt::detail::copy_strided_plain(plain, src);
      auto read = [](const mt::Tensor& t) {  // read back through the plain loop too
        mt::Tensor r = mt::empty(t.shape(), mt::kFloat64);
        mt::detail::copy_strided_plain(r, t);
        return r.to_vector<double>();
      };
      CHECK(read(fast) == read(plain));
    }
}
