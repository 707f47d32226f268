// The wire (comm.h): MPI's calls on MPI_COMM_WORLD, or one rank of one when the library is built without MPI.
// MPI's own state is global to the process; the one thing kept here is whether init() started it.
#include "comm.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <stdexcept>
#include <string>

#ifdef MICROTORCH_HAVE_MPI
#include <mpi.h>
#endif

namespace microtorch::distributed::comm {

namespace {
bool g_active = false;  // between init() and finalize()
}  // namespace

#ifdef MICROTORCH_HAVE_MPI

namespace {
bool g_started = false;  // init() called MPI_Init_thread (so finalize() ends MPI)
constexpr int64_t kMaxPerCall = int64_t(1) << 30;  // elements or bytes per MPI call: well inside an int
// Elements per all-reduce call. A call over a large buffer makes OpenMPI allocate temporaries of its size,
// which glibc maps fresh (and the kernel faults in) on every call; 16 MB of floats stays within the mmap
// threshold glibc raises to after the first free, so later calls reuse heap memory instead.
constexpr int64_t kReducePerCall = int64_t(1) << 22;

size_t elem_bytes(Elem e) { return e == Elem::I64 ? 8 : e == Elem::U8 ? 1 : 4; }

MPI_Datatype mpi_type(Elem e) {
  switch (e) {
    case Elem::F32: return MPI_FLOAT;
    case Elem::I64: return MPI_INT64_T;
    case Elem::I32: return MPI_INT32_T;
    case Elem::U8: return MPI_UINT8_T;
  }
  return MPI_BYTE;
}

int as_int(int64_t n, const char* what) {
  if (n < 0 || n > INT_MAX)
    throw std::length_error(std::string("distributed: ") + what + " of " + std::to_string(n) +
                            " is more than one MPI call takes (" + std::to_string(INT_MAX) + ")");
  return static_cast<int>(n);
}
}  // namespace

bool available() { return true; }

void init(int* argc, char*** argv) {
  if (g_active) return;
  int already = 0;
  MPI_Initialized(&already);
  if (!already) {
    int provided = 0;
    MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    g_started = true;
  }
  // A rank that dies or fails in MPI ends the whole job (mpirun then kills the others), so no rank waits
  // forever in a collective for a peer that is gone. This is MPI's default; set it in case a caller changed it.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
  g_active = true;
}

void finalize() {
  if (!g_active) return;
  g_active = false;
  int done = 0;
  MPI_Finalized(&done);
  if (g_started && !done) MPI_Finalize();
  g_started = false;
}

int rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int size() {
  int n = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

void barrier() { MPI_Barrier(MPI_COMM_WORLD); }

void all_reduce(void* data, int64_t count, Elem elem, Op op) {
  char* p = static_cast<char*>(data);
  for (int64_t at = 0; at < count; at += kReducePerCall) {  // seek to the next run
    const int n = static_cast<int>(std::min(kReducePerCall, count - at));
    MPI_Allreduce(MPI_IN_PLACE, p + at * elem_bytes(elem), n, mpi_type(elem), op == Op::Sum ? MPI_SUM : MPI_MAX,
                  MPI_COMM_WORLD);
  }
}

void broadcast(void* data, int64_t bytes, int root) {
  char* p = static_cast<char*>(data);
  for (int64_t at = 0; at < bytes; at += kMaxPerCall)
    MPI_Bcast(p + at, static_cast<int>(std::min(kMaxPerCall, bytes - at)), MPI_BYTE, root, MPI_COMM_WORLD);
}

void all_gather(const void* mine, int64_t bytes, void* all) {
  MPI_Allgather(mine, as_int(bytes, "a tensor's bytes"), MPI_BYTE, all, static_cast<int>(bytes), MPI_BYTE,
                MPI_COMM_WORLD);
}

void all_gather_v(const void* mine, int64_t unit_bytes, const std::vector<int64_t>& counts, void* all) {
  // Counted in units (a row of C floats, an id), so a count of rows stays far below an int's limit.
  MPI_Datatype unit;
  MPI_Type_contiguous(as_int(unit_bytes, "a unit's bytes"), MPI_BYTE, &unit);
  MPI_Type_commit(&unit);
  std::vector<int> n(counts.size()), at(counts.size());
  int64_t total = 0;
  for (size_t r = 0; r < counts.size(); ++r) {
    n[r] = as_int(counts[r], "a rank's count");
    at[r] = as_int(total, "a gathered count");
    total += counts[r];
  }
  as_int(total, "a gathered count");
  MPI_Allgatherv(mine, n[static_cast<size_t>(rank())], unit, all, n.data(), at.data(), unit, MPI_COMM_WORLD);
  MPI_Type_free(&unit);
}

#else  // one rank of one

bool available() { return false; }
void init(int*, char***) { g_active = true; }
void finalize() { g_active = false; }
int rank() { return 0; }
int size() { return 1; }
void barrier() {}
void all_reduce(void*, int64_t, Elem, Op) {}
void broadcast(void*, int64_t, int) {}
void all_gather(const void* mine, int64_t bytes, void* all) {
  if (bytes > 0) std::memcpy(all, mine, static_cast<size_t>(bytes));
}
void all_gather_v(const void* mine, int64_t unit_bytes, const std::vector<int64_t>& counts, void* all) {
  if (counts[0] > 0) std::memcpy(all, mine, static_cast<size_t>(counts[0] * unit_bytes));
}

#endif

bool initialized() { return g_active; }

std::vector<std::string> all_gather_strings(const std::string& mine) {
  const int64_t n = static_cast<int64_t>(mine.size());
  std::vector<int64_t> lengths(static_cast<size_t>(size()));
  all_gather(&n, sizeof n, lengths.data());
  int64_t total = 0;
  for (int64_t len : lengths) total += len;
  std::string all(static_cast<size_t>(total), '\0');
  all_gather_v(mine.data(), 1, lengths, all.data());
  std::vector<std::string> out;
  for (int64_t at = 0, r = 0; r < size(); at += lengths[static_cast<size_t>(r)], ++r)
    out.push_back(all.substr(static_cast<size_t>(at), static_cast<size_t>(lengths[static_cast<size_t>(r)])));
  return out;
}

}  // namespace microtorch::distributed::comm
