/* nntune: umbrella header. */
#ifndef NNTUNE_H
#define NNTUNE_H
#include "common.h"
#include "rng.h"
#include "data.h"
#include "model.h"
#include "train.h"
#include "tune.h"
#include "store.h"
#include "prune.h"
#include "analysis.h"
#include "objective.h"
#include "study.h"
#include "report.h"
#include "file.h"
#endif
