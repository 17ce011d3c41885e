/* libFuzzer target: the `--param NAME=SPEC` parser (nnt_space_set_spec, as
 * `nntune tune` calls it) and the command-line condition parser
 * (nnt_space_set_condition). Input: lines; "NAME=SPEC" adds a parameter
 * (split at the first '=' like the CLI), "NAME?COND" sets a condition. The
 * first byte picks the starting space: odd = the default space, even = empty.
 * A space that validates must round-trip through its JSON. */
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    nnt_space *sp = NULL;
    nnt_error err;
    if (data[0] & 1) {
        if (nnt_space_default(&sp, &err) != NNT_OK) abort();
    } else if (!(sp = nnt_space_new())) {
        abort();
    }
    char *text = fz_text(data + 1, size - 1);
    for (char *line = text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        char *eq = strchr(line, '='), *q = strchr(line, '?');
        nnt_error_clear(&err);
        int rc;
        if (q && (!eq || q < eq)) {
            *q = '\0';
            rc = nnt_space_set_condition(sp, line, q + 1, &err);
        } else if (eq && eq != line) {
            char name[128];
            snprintf(name, sizeof name, "%.*s", (int)(eq - line), line);
            rc = nnt_space_set_spec(sp, name, eq + 1, &err);
        } else {
            continue;
        }
        fz_check(rc, &err);
    }
    free(text);
    nnt_error_clear(&err);
    int rc = nnt_space_validate(sp, &err);
    fz_check(rc, &err);
    if (rc == NNT_OK) {
        char *json = nnt_space_to_json(sp);
        if (!json) abort();
        nnt_space *again = NULL;
        rc = nnt_space_from_json(json, &again, &err);
        if (rc != NNT_OK) {
            fprintf(stderr, "fuzz: space JSON does not reload: %s\n%s\n", err.message, json);
            abort();
        }
        char *json2 = nnt_space_to_json(again);
        if (!json2 || strcmp(json, json2) != 0) {
            fprintf(stderr, "fuzz: space JSON changes on reload:\n%s\n%s\n", json, json2);
            abort();
        }
        free(json2);
        free(json);
        nnt_space_free(again);
    }
    nnt_space_free(sp);
    return 0;
}
