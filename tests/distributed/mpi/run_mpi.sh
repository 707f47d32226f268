#!/bin/bash
# Runs a program under mpirun for CTest (tests/distributed/mpi/CMakeLists.txt, tutorials/CMakeLists.txt).
# Usage: run_mpi.sh MPIEXEC NP SECONDS EXPECT PROGRAM [ARGS...]
#   MPIEXEC  mpirun's path, or "" when CMake found no MPI: then the test is skipped (exit 77, CTest's skip
#            code) with the reason printed, except under CI=true, where it fails: CI must run these tests.
#   EXPECT   pass: the job must exit 0. abort: a rank dies mid-step, and the job must end with an error
#            before SECONDS (a hang ends in timeout's 124, which fails).
set -u
mpiexec=$1 np=$2 seconds=$3 expect=$4
shift 4
if [ -z "$mpiexec" ] || [ ! -x "$mpiexec" ]; then
  if [ "${CI:-}" = true ]; then
    echo "FAIL: CI=true but MPI is missing (no mpirun, or the library was configured without MPI): install" \
         "libopenmpi-dev and openmpi-bin (.ci/packages) and configure again"
    exit 1
  fi
  echo "skipped: MPI is absent (no mpirun, or the library was configured without MPI)"
  exit 77
fi
# --bind-to none: two of these jobs may run at once (ctest -j2), and pinned ranks would share a core.
start=$SECONDS
timeout -k 10 "$seconds" "$mpiexec" --allow-run-as-root --oversubscribe --bind-to none -np "$np" "$@"
rc=$?
elapsed=$((SECONDS - start))
case $expect in
  pass) exit $rc ;;
  abort)
    if [ $rc -eq 124 ] || [ $elapsed -ge "$seconds" ]; then
      echo "FAIL: the job did not end within $seconds s after a rank died (a hang)"; exit 1
    fi
    if [ $rc -eq 0 ]; then echo "FAIL: the job exited 0 although a rank died"; exit 1; fi
    echo "PASS: a rank died and the job ended in ${elapsed} s with exit code $rc, not a hang"; exit 0 ;;
  *) echo "run_mpi.sh: EXPECT must be pass or abort, got $expect"; exit 2 ;;
esac
