# Run by CTest (tests/CMakeLists.txt): installs the build to a scratch prefix and checks, with the compiler,
# that a program including only <microtorch/microtorch.h> from there compiles, and cannot name the internals.
#   cmake -DBUILD_DIR=... -DCXX=... -DSCRATCH=... -P header_check.cmake
cmake_minimum_required(VERSION 3.18)
file(REMOVE_RECURSE ${SCRATCH})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${SCRATCH}/prefix
                RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "install failed: ${err}")
endif()
set(include ${SCRATCH}/prefix/include)
foreach(internal core/grad/state.h core/grad/door.h core/kernels/gemm.h core/kernels/fastmath.h core/ops/broadcast.h
                 core/ops/xt.h core/ops/tensor_access.h io/files/atomic_file.h text/bpe/bpe.h core/kernels/gemv.h
                 models/checkpoint/convert.h models/checkpoint/config_json.h
                 distributed/mpi/comm.h)
  if(EXISTS ${include}/microtorch/${internal})
    message(FATAL_ERROR "internal header installed: ${internal}")
  endif()
endforeach()

# name -> a body that uses it; the first must compile (the control), every other must not.
set(control_body "mt::Tensor t = mt::zeros({2}); (void)mt::sparse_grad(t); (void)mt::optim::SGDOptions(0.1)")
set(names Grad RowChunk detail_RowChunk grad_RowChunk RowWalk GradState accumulate_grad_rows detail_accumulate_grad_rows sum_to gemm
          momentum_buffers_assign param_group_assign options_assign impl_ptr shared_impl raw_data bump_version)
set(Grad "mt::Grad* g = nullptr; (void)g")
set(RowChunk "mt::RowChunk r; (void)r")
set(detail_RowChunk "mt::detail::RowChunk r; (void)r")
set(grad_RowChunk "mt::grad::RowChunk r; (void)r")
set(RowWalk "mt::grad::RowWalk w; (void)w")
set(GradState "(void)sizeof(mt::detail::GradState)")  # declared (TensorImpl holds one), never defined
set(accumulate_grad_rows "(void)&mt::accumulate_grad_rows")
set(detail_accumulate_grad_rows "(void)&mt::detail::accumulate_grad_rows")
set(sum_to "(void)mt::sum_to(mt::zeros({2}), {1})")
set(gemm "(void)&mt::kernels::gemm")
set(impl_ptr "mt::Tensor t = mt::zeros({1}); (void)t.impl_ptr()")
set(shared_impl "mt::Tensor t = mt::zeros({1}); (void)t.shared_impl()")
set(raw_data "mt::Tensor t = mt::zeros({1}); (void)t.raw_data()")
set(bump_version "mt::Tensor t = mt::zeros({1}); t.bump_version()")
# A group cannot be replaced (it could hand AdamW an SGD's options), nor its options through the base.
set(param_group_assign "mt::Tensor w = mt::zeros({1}); mt::optim::AdamW o({w}); o.param_groups()[0] = mt::optim::OptimizerParamGroup({w}, std::make_unique<mt::optim::SGDOptions>(123))")
set(options_assign "mt::Tensor w = mt::zeros({1}); mt::optim::AdamW o({w}); o.param_groups()[0].options() = mt::optim::SGDOptions(123)")
set(momentum_buffers_assign "mt::Tensor w = mt::zeros({1}); mt::optim::SGD o({w}, mt::optim::SGDOptions(0.1)); o.momentum_buffers()[0] = mt::zeros({3})")
foreach(name control ${names})
  if(name STREQUAL "control")
    set(body "${control_body}")
  else()
    set(body "${${name}}")
  endif()
  file(WRITE ${SCRATCH}/${name}.cpp
       "#include <microtorch/microtorch.h>\nnamespace mt = microtorch;\nint main() { ${body}; return 0; }\n")
  execute_process(COMMAND ${CXX} -std=c++17 -fsyntax-only -I${include} ${SCRATCH}/${name}.cpp
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
  if(name STREQUAL "control" AND NOT rc EQUAL 0)
    message(FATAL_ERROR "the installed public headers do not compile on their own:\n${err}")
  elseif(NOT name STREQUAL "control" AND rc EQUAL 0)
    message(FATAL_ERROR "a program including <microtorch/microtorch.h> can name ${name}: ${body}")
  endif()
endforeach()
file(REMOVE_RECURSE ${SCRATCH})
message(STATUS "installed headers: public API only")
