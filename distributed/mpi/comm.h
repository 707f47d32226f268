// Internal (not installed): the only file that names MPI. Raw buffers in, raw buffers out, on
// MPI_COMM_WORLD; no checks across ranks (collectives.cpp and data_parallel.cpp make those). Built without
// MPI (MICROTORCH_HAVE_MPI undefined) it is one rank of one: the reductions leave the data as it is and
// the gathers copy.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace microtorch::distributed::comm {

enum class Elem { F32, I64, I32, U8 };  // what a reduction adds or compares
enum class Op { Sum, Max };

bool available();  // built with MPI
void init(int* argc, char*** argv);
void finalize();
bool initialized();  // init() ran and finalize() did not
int rank();
int size();
void barrier();

// data (count elements) <- the op over every rank's data, in place. Any count (split into int-sized calls).
void all_reduce(void* data, int64_t count, Elem elem, Op op);
// data (bytes) <- root's data.
void broadcast(void* data, int64_t bytes, int root);
// all (size() * bytes) <- every rank's `mine` (bytes each), in rank order.
void all_gather(const void* mine, int64_t bytes, void* all);
// all <- every rank's `mine`, counts[r] units of unit_bytes from rank r, in rank order; counts has size()
// entries, the same on every rank (gathered first). std::length_error if a count is past what MPI takes.
void all_gather_v(const void* mine, int64_t unit_bytes, const std::vector<int64_t>& counts, void* all);
// Every rank's string, in rank order (their lengths gathered first): descriptions, error messages.
std::vector<std::string> all_gather_strings(const std::string& mine);

}  // namespace microtorch::distributed::comm
