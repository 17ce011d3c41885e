/* libFuzzer target: the study-file JSON parser (nnt_study_file_parse) and
 * what `nntune tune` does next with a parsed file: the "space" object
 * (nnt_space_from_json, then a to_json/from_json round trip), the base
 * options (nnt_study_set_base_option) and the sampler and pruner options.
 * Input: the JSON text. */
#include "fuzz_util.h"

static void check_space(const char *json)
{
    nnt_space *sp = NULL;
    nnt_error err;
    nnt_error_clear(&err);
    int rc = nnt_space_from_json(json, &sp, &err);
    fz_check(rc, &err);
    if (rc < 0) {
        if (sp) abort();
        return;
    }
    /* A space that parses must write out to JSON that parses again. */
    char *text = nnt_space_to_json(sp);
    if (!text) abort();
    nnt_space *again = NULL;
    rc = nnt_space_from_json(text, &again, &err);
    if (rc != NNT_OK) {
        fprintf(stderr, "fuzz: space JSON does not reload: %s\n%s\n", err.message, text);
        abort();
    }
    if (nnt_space_size(again) != nnt_space_size(sp)) abort();
    free(text);
    nnt_space_free(again);
    nnt_space_free(sp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fz_text(data, size);
    nnt_study_file f;
    nnt_error err;
    nnt_error_clear(&err);
    int rc = nnt_study_file_parse(text, "fuzz.json", &f, &err);
    fz_check(rc, &err);
    free(text);
    if (rc < 0) return 0;

    if (f.space_json) check_space(f.space_json);
    nnt_model_options mo = nnt_model_options_default();
    nnt_train_options to = nnt_train_options_default();
    for (int i = 0; i < f.n_base; i++) {
        nnt_error_clear(&err);
        rc = nnt_study_set_base_option(&mo, &to, f.base_names[i], f.base_values[i], "options",
                                       &err);
        fz_check(rc, &err);
    }
    if (f.sampler) {
        nnt_space *sp = NULL;
        if (nnt_space_default(&sp, &err) != NNT_OK) abort();
        nnt_sampler smp;
        nnt_error_clear(&err);
        rc = nnt_study_sampler_create(f.sampler, f.sampler_options, sp, 1, &smp, &err);
        fz_check(rc, &err);
        if (rc == NNT_OK) nnt_sampler_free(&smp);
        nnt_space_free(sp);
    }
    if (f.pruner) {
        nnt_pruner pr;
        nnt_error_clear(&err);
        rc = nnt_study_pruner_create(f.pruner, f.pruner_options, 20, &pr, &err);
        fz_check(rc, &err);
        if (rc == NNT_OK) nnt_pruner_free(&pr);
    }
    nnt_study_file_free(&f);
    return 0;
}
