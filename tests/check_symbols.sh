#!/bin/sh
# The library's symbol convention (issue 11; libuv's): a global symbol of
# libnntune is either public -- `nnt_`, declared NNT_API in include/nntune/ --
# or internal -- `nnt__`, declared only in headers under src/, hidden in the
# shared library. Everything else is `static`. This test reads both libraries
# with nm and fails, naming each offending symbol and its object file, when
#   - the static library defines a global symbol that is neither `nnt__` nor
#     an `nnt_` name declared NNT_API in a public header;
#   - the shared library exports anything but those public `nnt_` names.
# Names that begin with `__` (compiler and sanitizer runtime symbols, which C
# reserves) and the `.suffix` of clones and resolvers are passed over.
# Usage: check_symbols.sh NM libnntune.a libnntune.so include/nntune
set -u
if [ $# -ne 4 ]; then
    echo "usage: $0 NM STATIC_LIB SHARED_LIB PUBLIC_INCLUDE_DIR" >&2
    exit 2
fi
nm=$1 static=$2 shared=$3 inc=$4
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

# Public names: the function after NNT_API on each declaring line.
grep -h 'NNT_API' "$inc"/*.h | grep -v '#define' |
    sed -E 's/^[^(]*\b(nnt_[A-Za-z0-9_]+) *\(.*$/\1/' | sort -u > "$tmp/api" || exit 2
if [ ! -s "$tmp/api" ]; then
    echo "check_symbols: no NNT_API declarations found in $inc" >&2
    exit 2
fi

# nm -A: "archive:member.o:ADDR TYPE NAME" (binutils 2.40; older ones put a space
# before ADDR).
"$nm" -A -g --defined-only "$static" > "$tmp/static.nm" || exit 2
"$nm" -D --defined-only "$shared" > "$tmp/shared.nm" || exit 2

awk -v api="$tmp/api" -v lib="$static" '
    BEGIN { while ((getline n < api) > 0) pub[n] = 1 }
    NF >= 3 {
        name = $NF; sub(/\..*$/, "", name)
        if (name ~ /^__/ || name ~ /^nnt__/ || name in pub || seen[name]++) next
        k = split($1, part, ":")
        obj = (part[k] == "" || part[k] ~ /^[0-9a-fA-F]+$/) ? part[k - 1] : part[k]
        why = name ~ /^nnt_/ ? "nnt_ but not declared NNT_API in a public header" \
                             : "neither nnt_ (public) nor nnt__ (internal)"
        printf "%s: %s defines %s: %s; make it static or rename it nnt__%s\n", lib, obj, name, why,
               name ~ /^nnt_/ ? substr(name, 5) : name
        bad++
    }
    END { exit bad ? 1 : 0 }' "$tmp/static.nm"
rc_static=$?

awk -v api="$tmp/api" -v lib="$shared" '
    BEGIN { while ((getline n < api) > 0) pub[n] = 1 }
    NF >= 3 {
        name = $NF; sub(/\..*$/, "", name)
        if (name ~ /^__/ || name in pub || seen[name]++) next
        printf "%s exports %s, which is not a public nnt_ name (NNT_API in include/nntune/)\n", lib, name
        bad++
    }
    END { exit bad ? 1 : 0 }' "$tmp/shared.nm"
rc_shared=$?

if [ $rc_static -ne 0 ] || [ $rc_shared -ne 0 ]; then
    exit 1
fi
n=$(wc -l < "$tmp/api")
echo "check_symbols: every global of $static is public (NNT_API) or nnt__; $shared exports only the $n public names"
