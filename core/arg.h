// MICROTORCH_ARG(T, name): one option of an Options struct, as libtorch's TORCH_ARG (torch/arg.h). It declares
// the member name_, a chainable setter name(value) that returns the struct, and a getter name(). A default
// value follows the macro; a setter's doc comment goes on the line above it:
//   struct LinearOptions {
//     LinearOptions(int64_t in_features, int64_t out_features) : in_features_(in_features), out_features_(out_features) {}
//     MICROTORCH_ARG(int64_t, in_features);
//     MICROTORCH_ARG(int64_t, out_features);
//     /// Learn an additive bias.
//     MICROTORCH_ARG(bool, bias) = true;
//   };
//   LinearOptions(3, 8).bias(false).bias();   // false
// The macro leaves the access specifier at private: declare public members before the options, or say public:.
// It is the library's one code-writing macro (../STYLE.md): it replaces a hand-written setter-getter pair.
#pragma once

#define MICROTORCH_ARG(T, name)                            \
 public:                                                   \
  auto name(const T& new_##name)->decltype(*this) {        \
    this->name##_ = new_##name;                            \
    return *this;                                          \
  }                                                        \
  const T& name() const noexcept { return this->name##_; } \
                                                           \
 private:                                                  \
  T name##_
