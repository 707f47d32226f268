// AdamFamily's state: the const accessor and the checked load (adam_state.h).
#include "adam_state.h"

#include <stdexcept>

namespace microtorch::optim {

static std::vector<AdamParamState> clones(const std::vector<AdamParamState>& states) {
  auto copy = [](const Tensor& t) { return t.defined() ? t.clone() : Tensor(); };
  std::vector<AdamParamState> out;
  for (const AdamParamState& s : states)
    out.push_back({s.step, copy(s.exp_avg), copy(s.exp_avg_sq), copy(s.max_exp_avg_sq)});
  return out;
}
AdamFamily::AdamFamily(const AdamFamily& other) : Optimizer(other), states_(clones(other.states_)) {}
AdamFamily& AdamFamily::operator=(const AdamFamily& other) {
  if (this != &other) {
    Optimizer::operator=(other);
    states_ = clones(other.states_);
  }
  return *this;
}

void AdamFamily::check_options(const char* who, double lr, double eps, const betas_t& betas) {
  const auto [b1, b2] = betas;
  check_option(lr >= 0.0, who, "learning rate", lr, ">= 0");
  check_option(eps >= 0.0, who, "epsilon value", eps, ">= 0");
  check_option(b1 >= 0.0 && b1 < 1.0, who, "beta parameter at index 0:", b1, "in [0, 1)");
  check_option(b2 >= 0.0 && b2 < 1.0, who, "beta parameter at index 1:", b2, "in [0, 1)");
}

const AdamParamState& AdamFamily::param_state(size_t i) const {
  if (i >= states_.size())
    throw std::out_of_range(name() + "::param_state: index " + std::to_string(i) + " is outside [0, " +
                            std::to_string(states_.size()) + ")");
  return states_[i];
}

OptimizerState AdamFamily::state() const {
  OptimizerState out;
  for (size_t i = 0; i < states_.size(); ++i) {
    const AdamParamState& s = states_[i];
    if (s.step == 0) continue;
    const std::string at = "." + std::to_string(i);
    out.emplace_back("step" + at, tensor(std::vector<int64_t>{s.step}, {1}));
    out.emplace_back("exp_avg" + at, s.exp_avg.clone());
    out.emplace_back("exp_avg_sq" + at, s.exp_avg_sq.clone());
    if (s.max_exp_avg_sq.defined()) out.emplace_back("max_exp_avg_sq" + at, s.max_exp_avg_sq.clone());
  }
  return out;
}

void AdamFamily::load_state(const OptimizerState& state) {
  const std::vector<std::vector<Tensor>> found = checked_state(state);  // [kind][i], kinds as state_kinds()
  std::vector<AdamParamState> next(states_.size());
  for (size_t i = 0; i < next.size(); ++i) {
    const Tensor &step = found[0][i], &m = found[1][i], &v = found[2][i], &vmax = found[3][i];
    const bool any = step.defined() || m.defined() || v.defined() || vmax.defined();
    if (!any) continue;
    const std::string at = "." + std::to_string(i);
    if (!step.defined() || !m.defined() || !v.defined())
      throw std::invalid_argument(name() + " state: parameter " + std::to_string(i) +
                                  " needs step" + at + ", exp_avg" + at + " and exp_avg_sq" + at + " together");
    if (vmax.defined() != amsgrad(i))
      throw std::invalid_argument(name() + " state: max_exp_avg_sq" + at + (amsgrad(i) ? " is missing" : " is present") +
                                  " but parameter " + std::to_string(i) + "'s group has amsgrad " +
                                  (amsgrad(i) ? "true" : "false"));
    const int64_t count = step.data_ptr<int64_t>()[0];
    constexpr int64_t kMaxStep = int64_t{1} << 53;  // a double counts every step exactly up to here
    if (count < 1 || count > kMaxStep)
      throw std::invalid_argument(name() + " state: step" + at + " is " + std::to_string(count) + " (expected 1 to " +
                                  std::to_string(kMaxStep) + ")");
    check_state_values("exp_avg" + at, m, false);
    check_state_values("exp_avg_sq" + at, v, true);
    check_state_values("max_exp_avg_sq" + at, vmax, true);
    next[i] = AdamParamState{count, m, v, vmax};
  }
  states_ = std::move(next);
}

}  // namespace microtorch::optim
