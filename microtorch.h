// microtorch: one header for the whole public API (see README.md for the map of the code).
#pragma once
#include "core/autograd.h"
#include "core/gradcheck.h"
#include "core/grad.h"
#include "core/ops.h"
#include "core/tensor.h"
