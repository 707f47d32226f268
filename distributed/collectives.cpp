// init, rank, world_size, barrier, finalize and the collectives on tensors (distributed.h). Before moving any
// data, every collective gathers what each rank passed (its signature: dtype, shape, op or root) and checks
// it on every rank alike, so a mismatch throws the same error everywhere instead of hanging or overrunning.
#include "distributed.h"

#include <cstring>
#include <stdexcept>
#include <string>

#include "../core/autograd.h"
#include "../core/grad/door.h"
#include "mpi/comm.h"

namespace microtorch::distributed {

namespace {

void require_init(const char* what) {
  if (!comm::initialized())
    throw std::runtime_error(std::string("distributed::") + what +
                             ": call distributed::init(&argc, &argv) first (and not after finalize())");
}

// The start of t's bytes (t contiguous), for any dtype the library has.
void* bytes_of(const Tensor& t) {
  switch (t.dtype()) {
    case kFloat32: return t.data_ptr<float>();
    case kInt64: return t.data_ptr<int64_t>();
    case kInt32: return t.data_ptr<int32_t>();
    case kBool: return t.data_ptr<bool>();
    default: throw std::invalid_argument("distributed: unsupported dtype " + dtype_name(t.dtype()));
  }
}

// What a rank passed to a collective: [dtype, op or root, ndim, numel, dims...] (kMaxDims dims; a longer
// shape folds its tail into the last slot). dtype -1: an undefined tensor.
constexpr size_t kMaxDims = 8, kSigLen = 4 + kMaxDims;
using Sig = std::vector<int64_t>;

Sig signature(const Tensor& t, int64_t extra) {
  Sig s(kSigLen, 0);
  s[0] = t.defined() ? static_cast<int64_t>(t.dtype()) : -1;
  s[1] = extra;
  if (!t.defined()) return s;
  s[2] = t.dim();
  s[3] = t.numel();
  for (size_t d = 0; d < t.shape().size(); ++d) {
    if (d < kMaxDims) s[4 + d] = t.shape()[d];
    else s[4 + kMaxDims - 1] = s[4 + kMaxDims - 1] * 1000003 + t.shape()[d];  // the tail, hashed
  }
  return s;
}

std::string describe(const Sig& s) {
  if (s[0] < 0) return "an undefined tensor";
  std::string out = dtype_name(static_cast<Dtype>(s[0]));
  if (s[2] > static_cast<int64_t>(kMaxDims)) return out + " of " + std::to_string(s[2]) + " dims, " + std::to_string(s[3]) + " elements";
  return out + " " + shape_str(Shape(s.begin() + 4, s.begin() + 4 + s[2]));
}

// Gathers every rank's signature; throws std::invalid_argument (the same on every rank) unless all equal
// rank 0's. extra_name names s[1] in the message ("op", "root").
void check_same_everywhere(const char* what, const Sig& mine, const char* extra_name,
                           std::string (*extra_str)(int64_t)) {
  const int world = comm::size();
  std::vector<int64_t> all(kSigLen * static_cast<size_t>(world));
  comm::all_gather(mine.data(), static_cast<int64_t>(kSigLen * sizeof(int64_t)), all.data());
  const Sig first(all.begin(), all.begin() + kSigLen);
  for (int r = 1; r < world; ++r) {
    const Sig s(all.begin() + r * kSigLen, all.begin() + (r + 1) * kSigLen);
    if (s[1] != first[1])
      throw std::invalid_argument(std::string("distributed::") + what + ": rank " + std::to_string(r) + " passed " +
                                  extra_name + " " + extra_str(s[1]) + " but rank 0 passed " + extra_str(first[1]) +
                                  "; every rank must pass the same");
    if (s != first)
      throw std::invalid_argument(std::string("distributed::") + what + ": rank " + std::to_string(r) + " passed " +
                                  describe(s) + " but rank 0 passed " + describe(first) +
                                  "; every rank must pass the same dtype and shape");
  }
  if (first[0] < 0)
    throw std::invalid_argument(std::string("distributed::") + what + ": the tensor is undefined");
}

std::string op_name(int64_t op) {
  switch (static_cast<ReduceOp>(op)) {
    case ReduceOp::Sum: return "Sum";
    case ReduceOp::Avg: return "Avg";
    case ReduceOp::Max: return "Max";
  }
  return "op " + std::to_string(op);
}
std::string root_name(int64_t root) { return std::to_string(root); }

// After writing t's values through MPI: t's own storage when it is contiguous, else written back.
void written(Tensor& t, const Tensor& c) {
  if (!c.is_same(t)) {
    NoGradGuard no_grad;
    t.copy_(c);
  } else {
    grad::bump_version(t);
  }
}

}  // namespace

void init(int* argc, char*** argv) { comm::init(argc, argv); }
void finalize() { comm::finalize(); }
bool is_initialized() { return comm::initialized(); }
bool is_mpi_available() { return comm::available(); }

int rank() {
  require_init("rank");
  return comm::rank();
}

int world_size() {
  require_init("world_size");
  return comm::size();
}

void barrier() {
  require_init("barrier");
  comm::barrier();
}

void all_reduce(Tensor& t, ReduceOp op) {
  require_init("all_reduce");
  check_same_everywhere("all_reduce", signature(t, static_cast<int64_t>(op)), "op", op_name);
  // Every rank got here with the same dtype, shape and op: the checks below throw alike everywhere.
  comm::Elem elem;
  switch (t.dtype()) {
    case kFloat32: elem = comm::Elem::F32; break;
    case kInt64: elem = comm::Elem::I64; break;
    case kInt32: elem = comm::Elem::I32; break;
    default:
      throw std::invalid_argument("distributed::all_reduce: dtype " + dtype_name(t.dtype()) +
                                  " cannot be reduced; expected float32, int64 or int32");
  }
  if (op == ReduceOp::Avg && elem != comm::Elem::F32)
    throw std::invalid_argument("distributed::all_reduce: Avg needs a floating dtype, got " + dtype_name(t.dtype()));
  Tensor c = t.contiguous();
  comm::all_reduce(bytes_of(c), c.numel(), elem, op == ReduceOp::Max ? comm::Op::Max : comm::Op::Sum);
  if (op == ReduceOp::Avg) {
    float* p = c.data_ptr<float>();
    const float n = static_cast<float>(comm::size());
    for (int64_t i = 0; i < c.numel(); ++i) p[i] /= n;
  }
  written(t, c);
}

void broadcast(Tensor& t, int root) {
  require_init("broadcast");
  check_same_everywhere("broadcast", signature(t, root), "root", root_name);
  if (root < 0 || root >= comm::size())
    throw std::invalid_argument("distributed::broadcast: root " + std::to_string(root) + " is outside [0, " +
                                std::to_string(comm::size()) + ")");
  Tensor c = t.contiguous();
  comm::broadcast(bytes_of(c), c.numel() * static_cast<int64_t>(element_size(c.dtype())), root);
  written(t, c);
}

std::vector<Tensor> all_gather(const Tensor& t) {
  require_init("all_gather");
  check_same_everywhere("all_gather", signature(t, 0), "", root_name);
  const Tensor c = t.contiguous();
  const int64_t bytes = c.numel() * static_cast<int64_t>(element_size(c.dtype()));
  const int world = comm::size();
  std::vector<char> all(static_cast<size_t>(bytes) * static_cast<size_t>(world));
  comm::all_gather(bytes_of(c), bytes, all.data());
  std::vector<Tensor> out;
  for (int r = 0; r < world; ++r) {
    Tensor piece = empty(c.shape(), c.dtype());
    if (bytes > 0) std::memcpy(bytes_of(piece), all.data() + static_cast<size_t>(r) * static_cast<size_t>(bytes),
                               static_cast<size_t>(bytes));
    out.push_back(piece);
  }
  return out;
}

}  // namespace microtorch::distributed
