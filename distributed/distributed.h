// More than one process: MPI's ranks and collectives on tensors, as torch.distributed spells them.
//   int main(int argc, char** argv) {
//     mt::distributed::init(&argc, &argv);       // under mpirun: MPI's ranks; alone: one rank of one
//     mt::Tensor t = mt::ones({3});
//     mt::distributed::all_reduce(t, mt::distributed::ReduceOp::Sum);   // t is world_size() everywhere
//     mt::distributed::finalize();
//   }
// Every rank must make the same calls in the same order, as with MPI. Each collective first exchanges what
// every rank passed (dtype, shape, op, root), so a mismatch throws std::invalid_argument on every rank,
// naming both ranks' tensors, instead of reading past a buffer or hanging. A rank that dies ends the whole
// job (MPI's default error handler, kept on purpose): the others stop with an error, they never hang.
// Built without MPI (CMake found none), init() gives one rank of one and the collectives copy locally.
#pragma once
#include <vector>

#include "../core/tensor.h"

namespace microtorch::distributed {

// How all_reduce combines the ranks' values: Sum, Avg (the sum divided by world_size(); floating dtypes
// only) and Max, element by element.
enum class ReduceOp { Sum, Avg, Max };

// Starts MPI (MPI_Init_thread, funneled: only the calling thread talks to MPI). A second call does nothing;
// an MPI the program started itself is used as it is (and finalize() leaves it running).
void init(int* argc, char*** argv);
// Ends MPI if init() started it; afterwards the functions below throw, as before init().
void finalize();
bool is_initialized();       // init() ran and finalize() did not
bool is_mpi_available();     // the library was built with MPI
int rank();                  // this process's rank in [0, world_size()); std::runtime_error before init()
int world_size();
void barrier();              // returns once every rank has called it

// In place: every rank's t becomes the element-wise Sum, Avg or Max over the ranks (float32, int64, int32;
// Avg float32 only). Same dtype and shape on every rank, else std::invalid_argument on every rank.
void all_reduce(Tensor& t, ReduceOp op = ReduceOp::Sum);
// In place: every rank's t becomes root's (any dtype). root in [0, world_size()) and the same dtype and
// shape everywhere, else std::invalid_argument on every rank.
void broadcast(Tensor& t, int root = 0);
// Every rank's t, in rank order (torch.distributed.all_gather's tensor_list), as fresh tensors off the
// tape. Same dtype and shape on every rank, else std::invalid_argument on every rank.
std::vector<Tensor> all_gather(const Tensor& t);

}  // namespace microtorch::distributed
