/* The shortest text of a double that reads back to the same value. */
#ifndef NNT_CORE_NUMFMT_H
#define NNT_CORE_NUMFMT_H

/* Writes into buf (32 bytes) the shortest "%.15g", "%.16g" or "%.17g"
 * spelling of v that strtod reads back to v exactly (so that stored and
 * exported numbers survive a round trip digit for digit), "0" for -0, and
 * returns buf. Whole numbers come out without exponent below 1e15 ("5000"),
 * non-finite values as printf spells them. */
const char *nnt__fmt_shortest(char *buf, double v);

#endif
