/* Train, save, reload and predict with the public nntune API.
 *
 *   example_train_predict data.csv   (target: the last column)
 *
 * Exits non-zero if any step fails or the reloaded model predicts
 * differently from the one that was trained. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nntune/nntune.h>

static int fail(const char *what, int rc, const nnt_error *err)
{
    fprintf(stderr, "%s failed: %s\n", what, err->message[0] ? err->message : nnt_strerror(rc));
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DATA.csv\n", argv[0]);
        return 2;
    }
    nnt_error err;
    nnt_error_clear(&err);
    nnt_dataset *ds = NULL;
    nnt_csv_options copt = nnt_csv_options_default();
    int rc = nnt_dataset_load_csv(argv[1], &copt, &ds, &err);
    if (rc < 0) return fail("loading the data", rc, &err);

    nnt_split split;
    rc = nnt_split_holdout(ds, 0.25, 7, 1, &split, &err);
    if (rc < 0) return fail("splitting", rc, &err);

    nnt_model_options mopt = nnt_model_options_default();
    mopt.n_hidden = 1;
    mopt.hidden[0] = 16;
    nnt_train_options topt = nnt_train_options_default();
    topt.max_epochs = 60;
    topt.seed = 7;
    nnt_train_data td = {ds, split.train, split.n_train, ds, split.valid, split.n_valid};
    nnt_model *model = NULL;
    nnt_train_result res;
    rc = nnt_train(&td, &mopt, &topt, &model, &res, &err);
    if (rc != NNT_OK) return fail("training", rc, &err);

    const char *path = "example_train_predict.nnt";
    nnt_model *loaded = NULL;
    rc = nnt_model_save(model, path, &err);
    if (rc == NNT_OK) rc = nnt_model_load(path, &loaded, &err);
    if (rc != NNT_OK) return fail("saving and loading the model", rc, &err);
    remove(path);

    /* Predictions of both models on the validation rows must be identical. */
    size_t n = split.n_valid, k = (size_t)nnt_model_get_options(model)->outputs;
    float *a = malloc(n * k * sizeof *a), *b = malloc(n * k * sizeof *b);
    if (!a || !b) return fail("allocating", NNT_ERR_NOMEM, &err);
    if ((rc = nnt_model_predict(model, ds, split.valid, n, a, &err)) < 0 ||
        (rc = nnt_model_predict(loaded, ds, split.valid, n, b, &err)) < 0)
        return fail("predicting", rc, &err);
    int same = memcmp(a, b, n * k * sizeof *a) == 0;

    nnt_eval ev;
    rc = nnt_model_evaluate(loaded, ds, split.valid, n, &ev, &err);
    if (rc < 0) return fail("evaluating", rc, &err);
    printf("trained %d epochs (best %d); validation accuracy %.4f on %zu rows; reloaded model %s\n",
           res.epochs_run, res.best_epoch, ev.metrics.accuracy, n,
           same ? "predicts identically" : "PREDICTS DIFFERENTLY");
    int ok = same && ev.metrics.accuracy > 0.8;

    nnt_eval_free(&ev);
    free(a);
    free(b);
    nnt_model_free(loaded);
    nnt_model_free(model);
    nnt_train_result_free(&res);
    nnt_split_free(&split);
    nnt_dataset_free(ds);
    return ok ? 0 : 1;
}
