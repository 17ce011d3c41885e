/* nntune: umbrella header. */
#ifndef NNTUNE_H
#define NNTUNE_H
#include "common.h"
#include "clock.h"
#include "rng.h"
#include "data.h"
#include "activation.h"
#include "model.h"
#include "blas.h"
#include "train.h"
#include "tune.h"
#include "trial.h"
#include "store.h"
#include "storage_backend.h"
#include "prune.h"
#include "analysis.h"
#include "objective.h"
#include "study.h"
#include "report.h"
#include "file.h"
#include "utf8.h"
#endif
