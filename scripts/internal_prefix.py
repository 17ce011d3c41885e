#!/usr/bin/env python3
"""Gives every library-internal global symbol the one internal prefix `nnt__`.

The convention (issue 11, libuv's): public functions are `nnt_`, declared
NNT_API in include/nntune/; functions and globals shared between files of
src/ are `nnt__`, declared only in headers under src/ and hidden in the
shared library; everything else is `static`. tests/check_symbols.sh (ctest
`library_symbols`) fails on any global that breaks it.

The mapping is computed: every global symbol the built static library
defines (nm) that is not declared NNT_API in a public header is renamed --
`nnt_foo` -> `nnt__foo`, `nnt_foo_` (the old "internal" spelling) ->
`nnt__foo`, `study_foo` -> `nnt__study_foo`. Build first (`make`), so that
code merged since the last run is in the library. It is also held: the
mapping of the first run is kept in scripts/internal_prefix.map and applied
every time, so code merged later that still calls an old name is renamed
even when the library cannot be built before the rename (--write-map
rewrites the file from the library).

The replacement is whole-word, over the C files (.c, .h) under src/ tools/
tests/ bench/ examples/ fuzz/, in code and comments but never inside string
or character literals (messages and printed names keep their text), and over
the Markdown under docs/ and bench/ and README.md. It leaves alone
  - a name in a file that has a `static` function or variable of that name
    (a file's own helper that happens to share it);
  - a name followed by a file extension (`report_text.c` in a comment);
  - a name that also occurs in a public header (it is not internal), and a
    name whose new spelling the library defines as well (both reported).
Continuation lines aligned under an open parenthesis of a renamed line are
moved with it (only their leading spaces change). It is idempotent: a second run finds nothing to change. It prints each file
it changes with the names and counts, then a summary; the exit status is 1
when a name was skipped (rename that one by hand), else 0.

    scripts/internal_prefix.py                  # rename (needs build/libnntune.a)
    scripts/internal_prefix.py --dry-run        # print the plan, change nothing
    scripts/internal_prefix.py --lib other/libnntune.a
    scripts/internal_prefix.py --write-map     # hold the computed mapping
"""
import argparse
import difflib
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAP_FILE = os.path.join(ROOT, 'scripts', 'internal_prefix.map')
C_DIRS = ['src', 'tools', 'tests', 'bench', 'examples', 'fuzz']
MD_DIRS = ['docs', 'bench']
MD_FILES = ['README.md']
IDENT = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')
EXT_AFTER = re.compile(r'\.(c|h|o|sh|py|md|txt)\b')


def public_names():
    """Functions declared NNT_API in include/nntune/*.h (as check_symbols.sh)."""
    names, idents = set(), set()
    inc = os.path.join(ROOT, 'include', 'nntune')
    for f in sorted(os.listdir(inc)):
        if not f.endswith('.h'):
            continue
        text = open(os.path.join(inc, f), encoding='utf-8').read()
        idents.update(IDENT.findall(text))
        for line in text.splitlines():
            if 'NNT_API' in line and '#define' not in line:
                m = re.match(r'^[^(]*\b(nnt_[A-Za-z0-9_]+) *\(', line)
                if m:
                    names.add(m.group(1))
    return names, idents


def library_globals(lib):
    out = subprocess.run(['nm', '-g', '--defined-only', lib], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit('internal_prefix: nm %s failed: %s' % (lib, out.stderr.strip()))
    names = set()
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and not line.endswith(':'):
            names.add(parts[-1].split('.')[0])
    return names


def held_map():
    """old -> new names of scripts/internal_prefix.map ("old new" a line)."""
    m = {}
    if os.path.exists(MAP_FILE):
        for line in open(MAP_FILE, encoding='utf-8'):
            parts = line.split('#')[0].split()
            if len(parts) == 2:
                m[parts[0]] = parts[1]
    return m


def new_name(n):
    if n.startswith('nnt_'):
        rest = n[4:]
        if rest.endswith('_'):
            rest = rest[:-1]
        return 'nnt__' + rest
    return 'nnt__' + n


def tracked_files():
    out = subprocess.run(['git', 'ls-files', '--cached', '--others', '--exclude-standard', '--']
                         + C_DIRS + MD_DIRS + MD_FILES, cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.split('\n')
    files = []
    for f in out:
        if not f:
            continue
        top = f.split('/')[0]
        if f.endswith(('.c', '.h')) and top in C_DIRS:
            files.append((f, 'c'))
        elif f.endswith('.md') and (top in MD_DIRS or f in MD_FILES):
            files.append((f, 'md'))
    return files


def c_segments(text):
    """Splits C text into (kind, piece): 'lit' for string/char literals (left
    alone), 'code' for everything else (code and comments)."""
    segs, i, n, start = [], 0, len(text), 0
    while i < n:
        c = text[i]
        if c == '/' and text.startswith('//', i):
            j = text.find('\n', i)
            i = n if j < 0 else j
        elif c == '/' and text.startswith('/*', i):
            j = text.find('*/', i + 2)
            i = n if j < 0 else j + 2
        elif c in '"\'':
            if i > start:
                segs.append(('code', text[start:i]))
            j = i + 1
            while j < n and text[j] != c and text[j] != '\n':
                j += 2 if text[j] == '\\' else 1
            j = min(j + 1, n)
            segs.append(('lit', text[i:j]))
            i = start = j
        else:
            i += 1
    if start < n:
        segs.append(('code', text[start:]))
    return segs


def static_names(text, names):
    """Names the file defines or declares as static functions or variables."""
    found = set()
    for m in re.finditer(r'(?m)^[ \t]*static\b[^;{=(]*?\b([A-Za-z_]\w*)\s*[\(\[=;]', text):
        if m.group(1) in names:
            found.add(m.group(1))
    return found


def rename_piece(piece, mapping, counts, member_hits):
    def sub(m):
        name = m.group(0)
        new = mapping.get(name)
        if new is None or EXT_AFTER.match(piece, m.end()):
            return name
        if piece[max(0, m.start() - 1):m.start()] in ('.', '/') or \
                piece[max(0, m.start() - 2):m.start()] == '->':
            if piece[max(0, m.start() - 1):m.start()] == '/':
                return name
            member_hits.add(name)
        counts[name] = counts.get(name, 0) + 1
        return new
    return IDENT.sub(sub, piece)


def col_map(old, new):
    """For a line before and after renaming: the new column of each old one."""
    cols = [0] * (len(old) + 1)
    sm = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        for k in range(i1, i2 + 1):
            cols[k] = j1 + (k - i1 if tag == 'equal' else (j2 - j1 if k == i2 else 0))
    return cols


def realign(old_text, new_text):
    """Continuation lines aligned one past an open '(' of an earlier line
    keep that alignment after the names before the '(' grew. Only leading
    spaces change."""
    olds, news = old_text.split('\n'), new_text.split('\n')
    if len(olds) != len(news):
        return new_text
    stack, in_comment, out = [], False, []
    for old, new in zip(olds, news):
        indent = len(old) - len(old.lstrip(' '))
        if stack and old.strip() and not in_comment and indent == stack[-1][0] + 1:
            new = ' ' * (stack[-1][1] + 1) + new.lstrip(' ')
        out.append(new)
        if old == new and not stack:
            in_comment = scan_parens(old, None, [], in_comment)
            continue
        in_comment = scan_parens(old, col_map(old, new), stack, in_comment)
    return '\n'.join(out)


def scan_parens(line, cols, stack, in_comment):
    """Pushes (old column, new column) of each '(' and pops at each ')',
    outside comments and literals; returns whether a comment is still open."""
    i, n = 0, len(line)
    if line.lstrip().startswith('#'):
        return in_comment
    while i < n:
        if in_comment:
            j = line.find('*/', i)
            if j < 0:
                return True
            in_comment, i = False, j + 2
            continue
        c = line[i]
        if line.startswith('/*', i):
            in_comment, i = True, i + 2
        elif line.startswith('//', i):
            break
        elif c in '"\'':
            j = i + 1
            while j < n and line[j] != c:
                j += 2 if line[j] == '\\' else 1
            i = j + 1
        else:
            if c == '(' and cols is not None:
                stack.append((i, cols[i]))
            elif c == '(':
                stack.append((i, i))
            elif c == ')' and stack:
                stack.pop()
            i += 1
    return in_comment


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--lib', default=os.path.join(ROOT, 'build', 'libnntune.a'),
                    help='the built static library (default build/libnntune.a)')
    ap.add_argument('--dry-run', action='store_true', help='print the plan, change nothing')
    ap.add_argument('--write-map', action='store_true',
                    help='rewrite scripts/internal_prefix.map from the library, change nothing')
    args = ap.parse_args()
    held = held_map()
    if os.path.exists(args.lib):
        globals_ = library_globals(args.lib)
    elif held and not args.write_map:
        print('internal_prefix: %s not found: applying the held mapping only' % args.lib)
        globals_ = set()
    else:
        sys.exit('internal_prefix: %s not found: build the library first (make)' % args.lib)

    api, public_idents = public_names()
    computed = sorted(n for n in globals_
                      if not n.startswith('__') and not n.startswith('nnt__') and n not in api)
    if args.write_map:
        with open(MAP_FILE, 'w', encoding='utf-8') as fh:
            fh.write('# old new: library-internal names and their nnt__ spelling, as\n'
                     '# scripts/internal_prefix.py computed them from nm (--write-map).\n')
            for n in computed:
                fh.write('%s %s\n' % (n, new_name(n)))
        print('internal_prefix: %d names written to %s' % (len(computed), os.path.relpath(MAP_FILE, ROOT)))
        return 0
    candidates = sorted(set(computed) | {n for n in held if n not in api})
    files = tracked_files()
    texts = {f: open(os.path.join(ROOT, f), encoding='utf-8').read() for f, _ in files}
    all_idents = set()
    for t in texts.values():
        all_idents.update(IDENT.findall(t))

    mapping, skipped = {}, []
    for n in candidates:
        new = held.get(n) or new_name(n)
        if n in public_idents:
            skipped.append('%s: also in a public header (include/nntune/); left as it is' % n)
        elif new in globals_ and n in globals_:
            skipped.append('%s: the library also defines %s; rename by hand' % (n, new))
        elif n in all_idents:
            mapping[n] = new
    for s in skipped:
        print('skipped ' + s)
    if not mapping:
        print('internal_prefix: nothing to change (%d global symbols in %s, all public or nnt__)'
              % (len(globals_), os.path.relpath(args.lib, ROOT)))
        return 1 if skipped else 0

    total, changed = 0, 0
    member_names = set()
    for f, kind in files:
        text = texts[f]
        own = static_names(text, mapping) if kind == 'c' else set()
        local = {k: v for k, v in mapping.items() if k not in own}
        counts = {}
        if kind == 'c':
            out = ''.join(p if k == 'lit' else rename_piece(p, local, counts, member_names)
                          for k, p in c_segments(text))
            if out != text:
                out = realign(text, out)
        else:
            out = rename_piece(text, local, counts, member_names)
        if out == text:
            continue
        changed += 1
        total += sum(counts.values())
        print('%s: %s' % (f, ', '.join('%s %d' % (k, counts[k]) for k in sorted(counts))))
        for k in sorted(own):
            print('  (%s is static here: left as it is)' % k)
        if not args.dry_run:
            with open(os.path.join(ROOT, f), 'w', encoding='utf-8') as fh:
                fh.write(out)
    if changed == 0:
        print('internal_prefix: nothing to change (the old spellings of %d names stand only in '
              'strings or as a file\'s own static)' % len(mapping))
        return 1 if skipped else 0
    for n in sorted(member_names):
        print('note: %s also follows "." or "->" somewhere (a struct member?); renamed too' % n)
    print('internal_prefix: %s %d occurrences of %d names in %d files%s'
          % ('would rename' if args.dry_run else 'renamed', total, len(mapping), changed,
             ' (dry run)' if args.dry_run else ''))
    for old in sorted(mapping):
        print('  %s -> %s' % (old, mapping[old]))
    return 1 if skipped else 0


if __name__ == '__main__':
    sys.exit(main())
