/* Helpers shared by the nntune subcommands (see cli_common.h). */
#include "cli_common.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- Messages ----------------------------------------------------------- */

static void vmsg(const char *cmd, const char *kind, const char *fmt, va_list ap)
{
    fprintf(stderr, "nntune %s: %s", cmd, kind);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(cmd, "", fmt, ap);
    va_end(ap);
}

void cli_warn(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(cmd, "warning: ", fmt, ap);
    va_end(ap);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(cmd, "", fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try 'nntune %s --help' for more information.\n", cmd);
    return EXIT_USAGE;
}

int cli_lib_error(const char *cmd, int code, const nnt_error *err)
{
    if (err && err->message[0]) cli_error(cmd, "%s", err->message);
    else cli_error(cmd, "%s", nnt_strerror(code));
    return EXIT_RUNTIME;
}

/* ---- getopt_long -------------------------------------------------------- */

/* Edit distance (insertions, deletions, substitutions, adjacent swaps)
 * between a and b, capped: names are short. */
static int edit_distance(const char *a, size_t la, const char *b)
{
    enum { MAXL = 48 };
    size_t lb = strlen(b);
    if (la >= MAXL || lb >= MAXL) return 99;
    int d[MAXL][MAXL];
    for (size_t i = 0; i <= la; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int cost = a[i - 1] != b[j - 1];
            int v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v) v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[la][lb];
}

const char *cli_closest_option(const char *word, const struct option *opts)
{
    while (*word == '-') word++;
    size_t n = strcspn(word, "=");
    if (n == 0 || !opts) return NULL;
    const char *best = NULL;
    int best_d = 99, best_raw = 99;
    for (const struct option *o = opts; o->name; o++) {
        size_t on = strlen(o->name);
        int raw = edit_distance(word, n, o->name), d = raw;
        /* a word that starts an option name (an ambiguous abbreviation), or an
         * option name with something glued on ("--batchsize"): as close as
         * one typo; ties go to the smaller plain distance */
        if (strncmp(o->name, word, n) == 0 || (on >= 3 && on < n && strncmp(word, o->name, on) == 0))
            d = d < 1 ? d : 1;
        if (d < best_d || (d == best_d && raw < best_raw)) {
            best_d = d;
            best_raw = raw;
            best = o->name;
        }
    }
    /* close enough to be a typo: 1 edit for short words, a third of longer ones */
    int limit = n <= 4 ? 1 : (int)(n / 3) > 2 ? (int)(n / 3) : 2;
    return best_d <= limit ? best : NULL;
}

int cli_getopt_error(const char *cmd, int c, char **argv, const struct option *opts)
{
    /* getopt_long has already advanced optind past the offending word. */
    const char *word = optind > 0 ? argv[optind - 1] : "?";
    if (c == ':') return cli_usage_error(cmd, "option '%s' requires a value", word);
    if (optopt && strncmp(word, "--", 2) != 0)
        return cli_usage_error(cmd, "unknown option '-%c'", optopt);
    const char *near = cli_closest_option(word, opts);
    if (near) return cli_usage_error(cmd, "unknown option '%s'; did you mean --%s?", word, near);
    return cli_usage_error(cmd, "unknown option '%s'", word);
}

int cli_no_operands(const char *cmd, int argc, char **argv)
{
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    return EXIT_OK;
}

/* ---- Option values ------------------------------------------------------ */

int cli_parse_int(const char *cmd, const char *opt, const char *s, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno) {
        cli_usage_error(cmd, "%s: expected an integer, got '%s'", opt, s);
        return -1;
    }
    if (v < lo || v > hi) {
        cli_usage_error(cmd, "%s: %ld is out of range [%ld, %ld]", opt, v, lo, hi);
        return -1;
    }
    *out = (int)v;
    return 0;
}

int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || *s == '-') {
        cli_usage_error(cmd, "%s: expected a non-negative integer, got '%s'", opt, s);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

int cli_parse_double(const char *cmd, const char *opt, const char *s, double lo, double hi,
                     double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || !isfinite(v)) {
        cli_usage_error(cmd, "%s: expected a number, got '%s'", opt, s);
        return -1;
    }
    if (v < lo || v > hi) {
        cli_usage_error(cmd, "%s: %g is out of range [%g, %g]", opt, v, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_int_list(const char *cmd, const char *opt, const char *s, int lo, int hi, int *out,
                       int max, int *n)
{
    *n = 0;
    if (!*s || !strcmp(s, "0") || !strcmp(s, "none")) return 0;
    const char *p = s;
    for (;;) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || (*end && *end != ',')) {
            cli_usage_error(cmd, "%s: expected a comma-separated list of integers, got '%s'", opt, s);
            return -1;
        }
        if (v < lo || v > hi) {
            cli_usage_error(cmd, "%s: %ld is out of range [%d, %d]", opt, v, lo, hi);
            return -1;
        }
        if (*n >= max) {
            cli_usage_error(cmd, "%s: at most %d values", opt, max);
            return -1;
        }
        out[(*n)++] = (int)v;
        if (!*end) return 0;
        p = end + 1;
    }
}

int cli_parse_double_list(const char *cmd, const char *opt, const char *s, double lo,
                          double hi_excl, double *out, int max, int *n)
{
    *n = 0;
    const char *p = s;
    for (;;) {
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno || !isfinite(v) || (*end && *end != ',')) {
            cli_usage_error(cmd, "%s: expected a number or a comma-separated list, got '%s'", opt, s);
            return -1;
        }
        if (v < lo || v >= hi_excl) {
            cli_usage_error(cmd, "%s: %g is out of range [%g, %g)", opt, v, lo, hi_excl);
            return -1;
        }
        if (*n >= max) {
            cli_usage_error(cmd, "%s: at most %d values", opt, max);
            return -1;
        }
        out[(*n)++] = v;
        if (!*end) return 0;
        p = end + 1;
    }
}

static const char *const task_names[] = {"auto", "classify", "binary", "regress", "autoencode"};

int cli_parse_task(const char *cmd, const char *opt, const char *s, nnt_task *out)
{
    for (int i = 0; i < (int)(sizeof task_names / sizeof task_names[0]); i++) {
        if (!strcmp(s, task_names[i])) {
            *out = (nnt_task)i;
            return 0;
        }
    }
    if (!strcmp(s, "classification")) {
        *out = NNT_TASK_CLASSIFY;
        return 0;
    }
    if (!strcmp(s, "regression")) {
        *out = NNT_TASK_REGRESS;
        return 0;
    }
    cli_usage_error(cmd, "%s: unknown task '%s' (expected auto, classification (classify), "
                    "binary, regression (regress) or autoencode)", opt, s);
    return -1;
}

const char *cli_task_name(nnt_task t)
{
    return (unsigned)t < sizeof task_names / sizeof task_names[0] ? task_names[t] : "unknown";
}

/* ---- Data --------------------------------------------------------------- */

int cli_is_builtin(const char *name) { return name && !strcmp(name, "fashion-mnist"); }

static int looks_like_idx(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return strstr(base, "idx") != NULL || strstr(base, "IDX") != NULL;
}

int cli_load_data(const char *cmd, const cli_data_opts *o, nnt_dataset **out,
                  nnt_dataset **builtin_test)
{
    nnt_error err;
    nnt_error_clear(&err);
    int rc;
    *out = NULL;
    if (builtin_test) *builtin_test = NULL;
    if (cli_is_builtin(o->path)) {
        nnt_dataset *test = NULL;
        rc = nnt_dataset_load_builtin(o->path, out, &test, &err);
        if (rc < 0) return cli_lib_error(cmd, rc, &err);
        if (builtin_test) *builtin_test = test;
        else nnt_dataset_free(test);
        return EXIT_OK;
    }
    if (o->labels || looks_like_idx(o->path)) {
        rc = nnt_dataset_load_idx(o->path, o->labels, out, &err);
    } else {
        nnt_csv_options copt = cli_csv_options();
        copt.schema = o->schema;
        copt.target = o->target;
        copt.task = o->task;
        copt.target_optional = o->target_optional;
        rc = nnt_dataset_load_csv(o->path, &copt, out, &err);
    }
    if (rc < 0) {
        *out = NULL;
        return cli_lib_error(cmd, rc, &err);
    }
    return EXIT_OK;
}

static int is_index_name(const char *s, int n)
{
    if (!s || !*s) return 0;
    long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || v > 1000000) return 0;
        v = v * 10 + (*p - '0');
    }
    return v < n;
}

int cli_remap_classes(const char *cmd, const char *what, nnt_dataset *ds,
                      const char *const *names, int n)
{
    nnt_error err;
    nnt_error_clear(&err);
    int rc = nnt_dataset_remap_classes(ds, names, n, &err);
    if (rc >= 0) return EXIT_OK;

    int k = nnt_dataset_num_classes(ds);
    int numeric = k > 0;
    for (int c = 0; c < k && numeric; c++) numeric = is_index_name(nnt_dataset_class_name(ds, c), n);
    if (!numeric) {
        cli_error(cmd, "%s: %s", what, err.message[0] ? err.message : nnt_strerror(rc));
        return EXIT_RUNTIME;
    }
    char **idx = calloc((size_t)n, sizeof *idx);
    if (!idx) {
        cli_error(cmd, "out of memory");
        return EXIT_RUNTIME;
    }
    int ok = 1;
    for (int c = 0; c < n && ok; c++) {
        idx[c] = malloc(16);
        if (idx[c]) snprintf(idx[c], 16, "%d", c);
        else ok = 0;
    }
    nnt_error_clear(&err);
    rc = ok ? nnt_dataset_remap_classes(ds, (const char *const *)idx, n, &err) : NNT_ERR_NOMEM;
    for (int c = 0; c < n; c++) free(idx[c]);
    free(idx);
    if (rc < 0) {
        cli_error(cmd, "%s: %s", what, err.message[0] ? err.message : nnt_strerror(rc));
        return EXIT_RUNTIME;
    }
    cli_warn(cmd, "%s: numeric class labels taken as indices of the classes (%s, ...)", what,
             names[0]);
    return EXIT_OK;
}

/* ---- Time and terminal -------------------------------------------------- */

double cli_now(void) { return nnt_clock_monotonic(); }

char *cli_fmt_duration(double s, char *buf, size_t n)
{
    if (!(s >= 0)) s = 0;
    if (s < 10) snprintf(buf, n, "%.2fs", s);
    else if (s < 60) snprintf(buf, n, "%.1fs", s);
    else if (s < 3600) snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else snprintf(buf, n, "%dh%02dm", (int)(s / 3600), ((int)s / 60) % 60);
    return buf;
}

int cli_isatty(FILE *f) { return isatty(fileno(f)); }

int cli_term_width(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) return ws.ws_col;
    const char *c = getenv("COLUMNS");
    int w = c ? atoi(c) : 0;
    return w > 20 ? w : 80;
}

void cli_bar(char *buf, size_t n, double frac, int width)
{
    if (n == 0) return;
    if (width < 3) width = 3;
    if ((size_t)width >= n) width = (int)n - 1;
    if (!(frac >= 0)) frac = 0;
    if (frac > 1) frac = 1;
    int inner = width - 2;
    int fill = (int)(frac * inner + 0.5);
    buf[0] = '[';
    for (int i = 0; i < inner; i++)
        buf[1 + i] = i < fill - 1 ? '=' : (i == fill - 1 ? (fill == inner ? '=' : '>') : ' ');
    buf[width - 1] = ']';
    buf[width] = '\0';
}

static int line_open;

void cli_line_draw(const char *text)
{
    /* Clip to the terminal so the line never wraps: a wrapped line cannot be
     * redrawn with a carriage return. */
    int w = cli_term_width() - 1;
    fprintf(stderr, "\r%.*s\033[K", w, text);
    fflush(stderr);
    line_open = 1;
}

void cli_line_end(void)
{
    if (line_open) {
        fputc('\n', stderr);
        fflush(stderr);
        line_open = 0;
    }
}

void cli_line_clear(void)
{
    if (line_open) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        line_open = 0;
    }
}

char *cli_fmt_metrics(char *buf, size_t n, const char *prefix, const nnt_metrics *m)
{
    size_t len = 0;
    buf[0] = '\0';
#define APPEND_(...)                                                      \
    do {                                                                  \
        if (len < n) {                                                    \
            int k_ = snprintf(buf + len, n - len, __VA_ARGS__);           \
            if (k_ > 0) len += (size_t)k_;                                \
        }                                                                 \
    } while (0)
    APPEND_("%sloss %.4f", prefix, m->loss);
    if (isfinite(m->accuracy)) APPEND_("  %sacc %.4f", prefix, m->accuracy);
    if (isfinite(m->rmse)) APPEND_("  %srmse %.4g", prefix, m->rmse);
    if (isfinite(m->r2)) APPEND_("  %sr2 %.4f", prefix, m->r2);
#undef APPEND_
    return buf;
}

/* ---- Ctrl-C and SIGTERM ----------------------------------------------------- */

static volatile sig_atomic_t interrupted; /* the signal number, 0 before one */

static void on_stop_signal(int sig) { interrupted = sig; }

void cli_catch_interrupt(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESETHAND; /* a second signal terminates at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int cli_interrupted(void) { return interrupted != 0; }

int cli_interrupt_exit(void) { return interrupted ? 128 + interrupted : EXIT_OK; }

const char *cli_interrupt_name(void)
{
    return interrupted == SIGTERM ? "SIGTERM" : interrupted == SIGINT ? "SIGINT (Ctrl-C)" : "a signal";
}

/* ---- JSON --------------------------------------------------------------- */

json_object *cli_json_num(double v)
{
    if (!isfinite(v)) return NULL; /* json-c serialises NULL as null */
    char s[32];
    snprintf(s, sizeof s, "%.8g", v);
    /* "%.8g" of an integral value has no dot or exponent: still a valid JSON number. */
    return json_object_new_double_s(v, s);
}

json_object *cli_json_metrics(const nnt_metrics *m)
{
    json_object *o = json_object_new_object();
    if (isfinite(m->loss)) json_object_object_add(o, "loss", cli_json_num(m->loss));
    if (isfinite(m->accuracy)) json_object_object_add(o, "accuracy", cli_json_num(m->accuracy));
    if (isfinite(m->rmse)) json_object_object_add(o, "rmse", cli_json_num(m->rmse));
    if (isfinite(m->mae)) json_object_object_add(o, "mae", cli_json_num(m->mae));
    if (isfinite(m->r2)) json_object_object_add(o, "r2", cli_json_num(m->r2));
    return o;
}

static int utf8_len(const unsigned char *s)
{
    return nnt_utf8_len((const char *)s);
}

const char *cli_shown(const char *s, char *buf, size_t n)
{
    assert(n >= 4);
    if (!s) s = "";
    size_t k = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        char esc[4] = {0};
        const char *piece;
        size_t len;
        int used;
        int u = utf8_len(p);
        if (u == 0) { /* invalid byte */
            piece = "\xEF\xBF\xBD";
            len = 3;
            used = 1;
        } else if (*p < 0x20 || *p == 0x7f || (u == 2 && p[0] == 0xC2 && p[1] < 0xA0)) {
            /* control characters (C0, DEL, C1) would move the cursor or start
             * a terminal escape sequence: shown as \n, \t or ? */
            esc[0] = *p == '\n' || *p == '\t' ? '\\' : '?';
            esc[1] = *p == '\n' ? 'n' : *p == '\t' ? 't' : '\0';
            piece = esc;
            len = strlen(esc);
            used = u;
        } else {
            piece = (const char *)p;
            len = (size_t)u;
            used = u;
        }
        if (k + len + 4 > n) { /* keep room for "..." and the NUL (k <= n - 4 here) */
            memcpy(buf + k, "...", 3);
            k += 3;
            break;
        }
        memcpy(buf + k, piece, len);
        k += len;
        p += used;
    }
    buf[k] = '\0';
    return buf;
}

void cli_put_utf8(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        const unsigned char *run = p;
        while (*p && utf8_len(p) > 0) p += utf8_len(p);
        if (p > run) fwrite(run, 1, (size_t)(p - run), f);
        if (*p) {
            fputs("\xEF\xBF\xBD", f); /* U+FFFD for one invalid byte */
            p++;
        }
    }
}

void cli_json_print(json_object *o)
{
    cli_put_utf8(stdout, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    fputc('\n', stdout);
}

void cli_json_emit(json_object *o)
{
    cli_put_utf8(stdout, json_object_to_json_string_ext(
                             o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    fputc('\n', stdout);
    fflush(stdout);
    json_object_put(o);
}

/* ---- Output files ------------------------------------------------------- */

int cli_out_open(const char *cmd, cli_out *o, const char *path)
{
    memset(o, 0, sizeof *o);
    nnt_error err;
    nnt_error_clear(&err);
    int rc = nnt_file_writer_open(path ? path : "-", &o->w, &err);
    if (rc != NNT_OK) return cli_lib_error(cmd, rc, &err);
    o->f = nnt_file_writer_stream(o->w);
    return EXIT_OK;
}

int cli_out_commit(const char *cmd, cli_out *o)
{
    nnt_error err;
    nnt_error_clear(&err);
    int rc = nnt_file_writer_commit(o->w, &err);
    o->w = NULL;
    o->f = NULL;
    return rc == NNT_OK ? EXIT_OK : cli_lib_error(cmd, rc, &err);
}

void cli_out_abort(cli_out *o)
{
    nnt_file_writer_abort(o->w);
    o->w = NULL;
    o->f = NULL;
}

int cli_check_output(const char *cmd, const char *opt, const char *path)
{
    if (!path) return EXIT_OK;
    nnt_error err;
    nnt_error_clear(&err);
    int rc = nnt_output_path_check(path, &err);
    if (rc == NNT_OK) return EXIT_OK;
    cli_error(cmd, "%s: %s", opt, err.message);
    return EXIT_RUNTIME;
}

void cli_csv_field(FILE *f, const char *s)
{
    int quote = strpbrk(s, ",\"\r\n") != NULL;
    if (quote) fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int n = utf8_len(p);
        if (n == 0) { /* keep the file valid UTF-8 */
            fputs("\xEF\xBF\xBD", f);
            p++;
            continue;
        }
        if (*p == '"') fputc('"', f);
        fwrite(p, 1, (size_t)n, f);
        p += n;
    }
    if (quote) fputc('"', f);
}

int cli_one_operand(const char *cmd, int argc, char **argv, const char *name, const char **out)
{
    if (optind >= argc) return cli_usage_error(cmd, "missing %s", name);
    *out = argv[optind++];
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    return EXIT_OK;
}
