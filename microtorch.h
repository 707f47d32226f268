// microtorch: one header for the whole public API (see README.md for the map of the code).
#pragma once
#include "core/autograd.h"
#include "core/grad.h"
#include "core/gradcheck.h"
#include "core/ops.h"
#include "core/tensor.h"
#include "nn/embedding.h"
#include "nn/functional.h"
#include "nn/init.h"
#include "nn/linear.h"
#include "nn/module.h"
#include "optim/sgd.h"
