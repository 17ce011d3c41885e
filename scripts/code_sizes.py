#!/usr/bin/env python3
"""Source and function sizes of nntune's C code (issue 11's targets).

Lists the .c/.h files under src/ and tools/ longer than --max-file lines
(default 800) and the functions longer than --max-func lines (default 150),
then one summary line. A function is counted from its definition's first
line (at column 0) to the closing brace at column 0, which is how the code
base is laid out (K&R, 4-space indent). Reads the working tree, or the tree
of a commit with --rev (through `git show`), so before and after can be
compared:

    scripts/code_sizes.py                # working tree
    scripts/code_sizes.py --rev 40cdb2c  # a commit
"""
import argparse
import re
import subprocess
import sys

DEF = re.compile(r'^(?!static_assert|typedef|struct\s+\w+\s*\{|enum|union|#)[A-Za-z_][\w \t\*]*?\b(\w+)\s*\(')


def files_of(rev, dirs):
    if rev:
        out = subprocess.run(['git', 'ls-tree', '-r', '--name-only', rev, '--'] + dirs,
                             capture_output=True, text=True, check=True).stdout
    else:
        out = subprocess.run(['git', 'ls-files', '--'] + dirs, capture_output=True, text=True,
                             check=True).stdout
    return [f for f in out.split() if f.endswith(('.c', '.h'))]


def text_of(rev, path):
    if rev:
        return subprocess.run(['git', 'show', '%s:%s' % (rev, path)], capture_output=True,
                              text=True, check=True).stdout
    with open(path, encoding='utf-8', errors='replace') as f:
        return f.read()


def functions(lines):
    """(name, first line, length) of each function definition."""
    out = []
    i = 0
    while i < len(lines):
        m = DEF.match(lines[i])
        if m and not lines[i].rstrip().endswith(';'):
            # the signature may span lines; the body opens with '{' at column 0
            j = i
            while j < len(lines) and j < i + 12 and not lines[j].startswith('{'):
                if lines[j].rstrip().endswith(';'):
                    break
                j += 1
            if j < len(lines) and lines[j].startswith('{'):
                k = j + 1
                while k < len(lines) and not lines[k].startswith('}'):
                    k += 1
                out.append((m.group(1), i + 1, k - i + 1))
                i = k + 1
                continue
        i += 1
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--rev', help='a commit (default: the working tree)')
    ap.add_argument('--max-file', type=int, default=800)
    ap.add_argument('--max-func', type=int, default=150)
    ap.add_argument('dirs', nargs='*', default=['src', 'tools'])
    a = ap.parse_args()
    big_files = big_funcs = n_funcs = 0
    for path in files_of(a.rev, a.dirs):
        lines = text_of(a.rev, path).split('\n')
        n = len(lines) - (1 if lines and lines[-1] == '' else 0)
        if n > a.max_file:
            big_files += 1
            print('file  %5d  %s' % (n, path))
        for name, line, length in functions(lines):
            n_funcs += 1
            if length > a.max_func:
                big_funcs += 1
                print('func  %5d  %s:%d %s()' % (length, path, line, name))
    print('summary: %d files over %d lines, %d of %d functions over %d lines' %
          (big_files, a.max_file, big_funcs, n_funcs, a.max_func))
    return 0


if __name__ == '__main__':
    sys.exit(main())
