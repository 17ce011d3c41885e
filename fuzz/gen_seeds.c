/* Writes the seed corpora of the fuzz targets into OUTDIR/<target>/, in the
 * input layout each harness expects (see the comment at the top of each
 * fuzz_*.c): CSV files from SRCDIR/tests/data plus small edge cases, valid
 * model files made with the library, plain and gzipped IDX files, study files,
 * --param specs and durations. Generated, so no binary is committed.
 * Usage: fuzz_seeds SRCDIR OUTDIR */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "nntune/nntune.h"

static const char *outdir;

static void die(const char *what)
{
    fprintf(stderr, "fuzz_seeds: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* OUTDIR/target/name = prefix (plen bytes) + data. */
static void seed(const char *target, const char *name, const void *prefix, size_t plen,
                 const void *data, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", outdir, target);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) die(path);
    snprintf(path, sizeof path, "%s/%s/%s", outdir, target, name);
    FILE *f = fopen(path, "wb");
    if (!f) die(path);
    if ((plen && fwrite(prefix, 1, plen, f) != plen) || (n && fwrite(data, 1, n, f) != n))
        die(path);
    if (fclose(f) != 0) die(path);
}

static void seed_text(const char *target, const char *name, const char *text)
{
    seed(target, name, NULL, 0, text, strlen(text));
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) die(path);
    size_t cap = 1 << 16, len = 0;
    unsigned char *b = malloc(cap);
    for (size_t r; b && (r = fread(b + len, 1, cap - len, f)) > 0;) {
        len += r;
        if (len == cap) b = realloc(b, cap *= 2);
    }
    if (!b) die("out of memory");
    fclose(f);
    *n = len;
    return b;
}

/* ---- CSV: two option bytes + file ------------------------------------------- */
static void csv_seeds(const char *src)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/tests/data", src);
    DIR *d = opendir(dir);
    if (!d) die(dir);
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".csv") != 0) continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t n;
        unsigned char *b = slurp(path, &n);
        if (n > 16384) { /* big inputs only slow the fuzzer down */
            free(b);
            continue;
        }
        unsigned char opt[2] = {0, 0x20}; /* detected delimiter, AUTO; schema reload */
        seed("csv", e->d_name, opt, 2, b, n);
        free(b);
    }
    closedir(d);
    static const struct { const char *name; unsigned char opt[2]; const char *text; } small[] = {
        {"quoted", {1, 0}, "a,\"b, c\",y\n1,\"2\",\"x\"\"y\"\n3,4,\"multi\nline\"\n"},
        {"crlf-bom", {1, 0x20}, "\xEF\xBB\xBF" "a,b,y\r\n1,2,0\r\n\r\n3,4,1\r\n"},
        {"semicolon", {2, 0}, "a;b;y\n1.5;2e3;cat\n-3;4;dog\n"},
        {"tab-regress", {3 | (3 << 2), 0x20}, "a\tb\ty\n1\t2\t0.5\n3\t4\t1.25\n"},
        {"binary-named", {1 | (2 << 2) | 0x40, 0}, "y,a,b\nyes,1,2\nno,3,4\n"},
        {"optional-target", {1 | 0x20 | 0x40, 0}, "a,b\n1,2\n3,4\n"},
        {"missing-mean", {1, 2 | 0x20}, "a,b,y\n1,NA,0\n?,2,1\n3,4,1\n"},
        {"missing-drop", {0, 1}, "a,b,y\n1,,0\n2,2,1\n"},
        {"categories", {1, 2 | 0x20}, "a,colour,y\n1,red,0\n2,blue,1\n3,red,1\n4,,0\n"},
        {"ignore-b", {1 | 0x80, 3 | 0x20}, "a,b,y\n1,x,0\n2,,1\n"},
        {"spaces", {1, 0}, " a , b ,y\n 1 , 2 ,0\n"},
        {"ints", {1 | (1 << 2), 0x10}, "a,y\n1,2.0\n2,10\n3,-1\n4,7\n"},
    };
    for (size_t i = 0; i < sizeof small / sizeof small[0]; i++)
        seed("csv", small[i].name, small[i].opt, 2, small[i].text, strlen(small[i].text));
}

/* ---- IDX: flags, u16 split, images, labels --------------------------------- */
static size_t gzip_mem(const unsigned char *in, size_t n, unsigned char *out, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) exit(1);
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) exit(1);
    size_t len = z.total_out;
    deflateEnd(&z);
    return len;
}

static size_t idx_images(unsigned char *b, unsigned count, unsigned rows, unsigned cols)
{
    unsigned char h[16] = {0, 0, 8, 3};
    unsigned v[3] = {count, rows, cols};
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 4; k++) h[4 + 4 * i + k] = (unsigned char)(v[i] >> (24 - 8 * k));
    memcpy(b, h, 16);
    size_t n = (size_t)count * rows * cols;
    for (size_t i = 0; i < n; i++) b[16 + i] = (unsigned char)(i * 37);
    return 16 + n;
}

static size_t idx_labels(unsigned char *b, unsigned count, unsigned k)
{
    unsigned char h[8] = {0, 0, 8, 1, 0, 0, (unsigned char)(count >> 8), (unsigned char)count};
    memcpy(b, h, 8);
    for (unsigned i = 0; i < count; i++) b[8 + i] = (unsigned char)(i % k);
    return 8 + count;
}

static void idx_seed(const char *name, unsigned flags, const unsigned char *img, size_t ni,
                     const unsigned char *lab, size_t nl)
{
    unsigned char buf[8192];
    buf[0] = (unsigned char)flags;
    buf[1] = (unsigned char)ni;
    buf[2] = (unsigned char)(ni >> 8);
    memcpy(buf + 3, img, ni);
    if (nl) memcpy(buf + 3 + ni, lab, nl);
    seed("idx", name, NULL, 0, buf, 3 + ni + nl);
}

static void idx_seeds(void)
{
    unsigned char img[2048], lab[256], gimg[2048], glab[512];
    size_t ni = idx_images(img, 5, 4, 3), nl = idx_labels(lab, 5, 3);
    idx_seed("plain", 0, img, ni, lab, nl);
    idx_seed("plain-nolabels", 4, img, ni, NULL, 0);
    idx_seed("harness-gzip", 3, img, ni, lab, nl);
    size_t gi = gzip_mem(img, ni, gimg, sizeof gimg), gl = gzip_mem(lab, nl, glab, sizeof glab);
    idx_seed("gzip-stream", 0, gimg, gi, glab, gl);
    ni = idx_images(img, 2, 28, 28);
    nl = idx_labels(lab, 2, 10);
    idx_seed("mnist-shape", 0, img, ni, lab, nl);
    gi = gzip_mem(img, ni, gimg, sizeof gimg);
    idx_seed("mnist-shape-gz", 0, gimg, gi, lab, nl);
}

/* ---- Model files: mode byte 0 + a file saved by the library ---------------- */
static void model_seed(const char *name, int hidden, nnt_task task, int classes,
                       nnt_activation act, int members)
{
    enum { ROWS = 6, F = 3 };
    float x[ROWS * F], t[ROWS];
    int32_t lab[ROWS];
    for (int i = 0; i < ROWS * F; i++) x[i] = (float)(i % 7) - 2.5f;
    for (int i = 0; i < ROWS; i++) {
        lab[i] = i % (classes ? classes : 1);
        t[i] = 0.5f * (float)i;
    }
    static const char *const names[] = {"zero", "one", "two", "three"};
    nnt_dataset_spec spec = {.rows = ROWS, .features = F, .x = x, .kind = NNT_FEATURES_TABULAR};
    if (classes) {
        spec.labels = lab;
        spec.n_classes = classes;
        spec.class_names = names;
    } else {
        spec.targets = t;
    }
    nnt_error err;
    nnt_dataset *ds = NULL;
    if (nnt_dataset_from_arrays(&spec, &ds, &err) != NNT_OK) goto fail;
    nnt_model_options o = nnt_model_options_default();
    o.inputs = F;
    o.outputs = task == NNT_TASK_CLASSIFY ? classes : 1;
    o.n_hidden = hidden;
    for (int i = 0; i < hidden; i++) o.hidden[i] = 4 - i, o.dropout[i] = 0.25f;
    o.activation = act;
    o.loss = task == NNT_TASK_CLASSIFY ? NNT_LOSS_CROSS_ENTROPY
             : task == NNT_TASK_BINARY ? NNT_LOSS_BINARY_CROSS_ENTROPY : NNT_LOSS_SQUARED_ERROR;
    nnt_model *m = NULL;
    if (nnt_model_create(&o, 7, &m, &err) != NNT_OK) goto fail;
    nnt_scaler sc;
    if (nnt_scaler_fit(ds, NULL, 0, NNT_SCALE_STANDARD, &sc, &err) != NNT_OK) goto fail;
    if (!classes && nnt_scaler_fit_target(ds, NULL, 0, &sc, &err) != NNT_OK) goto fail;
    if (nnt_model_set_metadata_from(m, ds, task, &sc, &err) != NNT_OK) goto fail;
    /* An ensemble (model file version 4): members with their own weights. */
    for (int k = 1; k <= members; k++) {
        nnt_model *e = NULL;
        if (nnt_model_create(&o, 7 + (uint64_t)k, &e, &err) != NNT_OK) goto fail;
        if (nnt_model_set_metadata_from(e, ds, task, &sc, &err) != NNT_OK ||
            nnt_model_ensemble_add(m, e, &err) != NNT_OK) {
            nnt_model_free(e);
            goto fail;
        }
    }
    nnt_scaler_free(&sc);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.tmp.nnt", outdir, name);
    if (nnt_model_save(m, path, &err) != NNT_OK) goto fail;
    size_t n;
    unsigned char *b = slurp(path, &n);
    remove(path);
    unsigned char fix = 0, raw = 1;
    seed("model", name, &fix, 1, b, n);
    if (hidden == 1) {
        char rawname[256];
        snprintf(rawname, sizeof rawname, "%s-raw", name);
        seed("model", rawname, &raw, 1, b, n);
    }
    free(b);
    nnt_model_free(m);
    nnt_dataset_free(ds);
    return;
fail:
    fprintf(stderr, "fuzz_seeds: model seed %s: %s\n", name, err.message);
    exit(1);
}

static void model_seeds(void)
{
    model_seed("classify-2h", 2, NNT_TASK_CLASSIFY, 3, NNT_ACT_RELU, 0);
    model_seed("classify-1h", 1, NNT_TASK_CLASSIFY, 4, NNT_ACT_TANH, 0);
    model_seed("binary-0h", 0, NNT_TASK_BINARY, 2, NNT_ACT_RELU, 0);
    model_seed("regress-1h", 1, NNT_TASK_REGRESS, 0, NNT_ACT_ELU, 0);
    model_seed("regress-1h-ensemble", 1, NNT_TASK_REGRESS, 0, NNT_ACT_TANH, 2);
}

/* ---- Study files, --param lines, durations ---------------------------------- */
static void text_seeds(void)
{
    seed_text("study", "full",
              "{\"data\": \"train.csv\", \"target\": \"species\", \"test\": \"test.csv\",\n"
              " \"objective\": {\"metric\": \"accuracy\", \"direction\": \"maximize\"},\n"
              " \"space\": {\"hidden_layers\": [1, 2],\n"
              "   \"neurons\": {\"type\": \"int\", \"low\": 32, \"high\": 256, \"log\": true},\n"
              "   \"lr\": {\"type\": \"float\", \"low\": 0.0001, \"high\": 0.1, \"log\": true, "
              "\"points\": 5},\n"
              "   \"optimizer\": [\"adam\", \"momentum\"],\n"
              "   \"momentum\": {\"type\": \"float\", \"low\": 0.8, \"high\": 0.99,\n"
              "                \"if\": {\"optimizer\": [\"momentum\"]}},\n"
              "   \"neurons_2\": {\"type\": \"int\", \"low\": 8, \"high\": 64, \"step\": 8,"
              " \"if\": {\"hidden_layers\": {\"min\": 2}}},\n"
              "   \"epochs\": 20},\n"
              " \"sampler\": {\"name\": \"tpe\", \"n_startup\": 10, \"multivariate\": true},\n"
              " \"pruner\": {\"name\": \"asha\", \"min_resource\": 1, \"eta\": 3},\n"
              " \"budget\": {\"trials\": 60, \"time\": \"20m\"},\n"
              " \"options\": {\"jobs\": 2, \"seed\": 7, \"cv_folds\": 0, \"trial_time_limit\": "
              "\"2m\",\n"
              "   \"storage\": \"iris.db\", \"study_name\": \"s\", \"model_out\": \"b.nnt\",\n"
              "   \"epochs\": 50, \"patience\": 8, \"batch_size\": 32, \"refit\": true}}\n");
    seed_text("study", "multi",
              "{\"data\": \"fashion-mnist\", \"objectives\": [\"accuracy\", \"params\"],"
              " \"sampler\": \"sobol\", \"pruner\": {\"name\": \"hyperband\", \"eta\": 3},"
              " \"task\": \"classify\", \"valid_fraction\": 0.2, \"options\": {\"max_rows\": 1000}}\n");
    seed_text("study", "regress",
              "{\"data\": \"r.csv\", \"objective\": \"rmse\", \"valid\": \"v.csv\","
              " \"pruner\": {\"name\": \"median\", \"n_warmup_epochs\": 2},"
              " \"budget\": {\"time\": 90}, \"options\": {\"optimizer\": \"sgd\", \"lr\": 0.1}}\n");
    seed_text("study", "minimal", "{\"data\": \"d.csv\", \"budget\": {\"trials\": 2}}\n");

    static const struct { const char *name; unsigned char space; const char *lines; } params[] = {
        {"specs", 0, "lr=0.0001:0.1:log:points=7\nhidden_layers=1:2\nneurons=2:32:log\n"
                     "activation=relu,tanh\nbatch_size=8,16,32,64\nepochs=5\n"},
        {"default-cond", 1, "momentum=0.5:0.99\nmomentum?optimizer=momentum,nesterov\n"
                            "neurons_2=8:64:step=8\nneurons_2?hidden_layers>=2\n"
                            "dropout=0:0.5\nearly_stopping=false\n"},
        {"conds", 0, "hidden_layers=0:3\nlr=1e-3:1:log:points=5\nlr?hidden_layers=1:2\n"
                     "lr?hidden_layers<=2\n"},
    };
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
        seed("param", params[i].name, &params[i].space, 1, params[i].lines,
             strlen(params[i].lines));

    static const char *const durs[] = {"90", "90s", "10m", "1.5h", "2d", " 3 m ", "1e3"};
    for (size_t i = 0; i < sizeof durs / sizeof durs[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "d%zu", i);
        seed_text("duration", name, durs[i]);
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: fuzz_seeds SRCDIR OUTDIR\n");
        return 2;
    }
    outdir = argv[2];
    if (mkdir(outdir, 0755) != 0 && errno != EEXIST) die(outdir);
    csv_seeds(argv[1]);
    idx_seeds();
    model_seeds();
    text_seeds();
    return 0;
}
