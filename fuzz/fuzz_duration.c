/* libFuzzer target: duration parsing (nnt_parse_duration: `--time`,
 * `--trial-time-limit`, study-file "time" and "trial_time_limit").
 * Input: the text. A success must give a finite positive number of seconds. */
#include <math.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fz_text(data, size);
    double s = -1;
    int rc = nnt_parse_duration(text, &s);
    free(text);
    if (rc == NNT_OK && !(isfinite(s) && s > 0)) {
        fprintf(stderr, "fuzz: duration parsed to %g\n", s);
        abort();
    }
    if (rc != NNT_OK && rc >= 0) abort();
    return 0;
}
