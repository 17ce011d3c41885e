/* Internal layout of a search space, shared by the space code (space*.c) and
 * the samplers (sampler*.c). Not a public header. */
#ifndef NNT_TUNE_SPACE_INTERNAL_H
#define NNT_TUNE_SPACE_INTERNAL_H

#include "nntune/tune.h"

/* One value as written by the user: a choice, a fixed value or a value in a
 * condition list. The text is kept for strings and as the canonical (shortest
 * round-trip) spelling of numbers. */
typedef enum space_value_kind { SV_STRING = 0, SV_NUMBER, SV_BOOL } space_value_kind;

typedef struct space_value {
    space_value_kind kind;
    double num;  /* SV_NUMBER: the number; SV_BOOL: 0 or 1; SV_STRING: NAN */
    char *text;  /* never NULL once built */
} space_value;

/* Condition "active when PARENT's value is in values" or, when is_range,
 * "when min <= PARENT <= max" (open ends are -INF/INF). */
typedef struct space_cond {
    char *parent;
    int is_range;
    double min, max;
    int n_values;
    space_value *values;
} space_cond;

typedef struct space_param {
    char *name;
    nnt_param_kind kind;
    double low, high;     /* INT / FLOAT */
    int log;
    double step;          /* 0 = not given (continuous FLOAT, 1 for INT) */
    int points;           /* grid points, 0 = not given */
    int n_choices;        /* CATEGORICAL: >= 1; FIXED: 1 */
    space_value *choices;
    int has_cond;
    space_cond cond;
} space_param;

struct nnt_space {
    space_param *p;
    int n, cap;
    int any_names; /* a user objective's space: any name, no domains (nnt_space_new_any) */
};

/* How values of a known parameter name are checked and applied. */
typedef enum space_domain_kind {
    DOM_INT = 0, DOM_REAL, DOM_BOOL, DOM_ACTIVATION, DOM_OPTIMIZER, DOM_SCHEDULE
} space_domain_kind;

typedef struct space_domain {
    const char *name;
    space_domain_kind kind;
    double min, max;      /* numeric domains */
    int min_open, max_open;
} space_domain;

#define SPACE_MAX_LAYER_PARAM 16 /* neurons_1 .. neurons_16 */

/* ---- space.c -------------------------------------------------------------- */
/* Appends a copy of the parameter, or replaces the one with the same name
 * (taking ownership of p's allocations either way; p is zeroed). A replaced
 * parameter keeps its condition when p has none. */
int nnt__space_put(nnt_space *s, space_param *p, nnt_error *err);
void nnt__space_param_clear(space_param *p);
void nnt__space_value_clear(space_value *v);
/* Text of a number: the shortest %.{15,16,17}g spelling that reads back
 * exactly. buf must hold 32 bytes. */
const char *nnt__space_fmt_double(char *buf, double v);
/* Builds an SV_NUMBER value (text from nnt__space_fmt_double). */
int nnt__space_value_number(space_value *v, double num);
int nnt__space_value_string(space_value *v, const char *text);
int nnt__space_value_bool(space_value *v, int b);

/* Parameter index of the parent of i, -1 (no condition) or -2 (unknown). */
int nnt__space_parent(const nnt_space *s, int i);
/* Topological order (parents before children, otherwise space order) after
 * validating the space. order holds s->n entries. */
int nnt__space_order(const nnt_space *s, int *order, nnt_error *err);
/* Activity of every slot in the given order from the parents' values; inactive
 * slots get NAN. */
void nnt__space_resolve_order(const nnt_space *s, const int *order, double *x, uint8_t *active);
/* Whether the condition of i holds given its parent's value x[parent]. */
int nnt__space_cond_holds(const nnt_space *s, int i, int parent, const double *x);

/* Maps u in [0,1) onto a value of parameter p (uniform, log-uniform, steps,
 * integers, choice index); the same mapping serves random and Sobol draws. */
double nnt__space_map_unit(const space_param *p, double u);
/* Grid values of p in ascending order into out (NULL: count only). Returns the
 * count, or -1 if more than max_count. */
long nnt__space_grid_values(const space_param *p, double *out, long max_count);
/* Largest k with low + k*step <= high (the step grid of a range). */
long nnt__space_step_count(const space_param *p);
double nnt__space_effective_step(const space_param *p);

/* ---- space_apply.c -------------------------------------------------------- */
/* Domain of a known parameter name, NULL if unknown. */
const space_domain *nnt__space_domain_find(const char *name);
/* Checks a parameter against its name's domain: known name, kind allowed,
 * range ends and every choice valid. path prefixes the messages ("space.lr",
 * "--param lr"). */
int nnt__space_check_param(const space_param *p, const char *path, int keyed, int any_names,
                           nnt_error *err);
/* keyed: messages name sub-keys as "PATH.low" (JSON) rather than "PATH (low)".
 * any_names: names outside nntune's list are allowed (a user objective's
 * space); their ranges and choices get the generic checks only. */

#endif
