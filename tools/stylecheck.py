#!/usr/bin/env python3
"""tools/stylecheck.py: check the tree's C and assembly layout (make format-check).

The rules are the ones the tree is written in (.clang-format says the same
to an editor; see lab-guide/markers.md's neighbour, README "Style"):

  - a line is at most 100 columns;
  - no tab characters in C files, and no white space at the end of a line;
  - braces K&R style: an opening brace ends the line that opens the block
    (a function's signature, an if, a struct), never stands alone, and
    `} else` shares a line;
  - in the reference tree (not in a handout, which has the .handout stamp
    that tools/handout.py writes), no comment line starts `// Lab N: `:
    that is how a handout's notes for the code cut out begin, and the
    handout tests count them (say `// Lab 4's ...` or `(lab 4)`).

Why not `clang-format --dry-run`: the tree lines up its trailing comments
by hand, in columns chosen for reading, which clang-format would move, and
clang-format's output changes from one version to the next, so a check
built on it would fail on a newer machine with nothing wrong. These rules
are the part of the style that a check can hold steady.

  python3 tools/stylecheck.py [FILE...]   (default: every tracked .c .h .S)

Prints one line per problem, `file:line: what`, and exits 1 if there was any.
"""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_COLUMNS = 100


def tracked_sources():
    """The C and assembly files git tracks (or, outside a git checkout, all
    of them below the root), build output and fuzz corpora left out."""
    try:
        out = subprocess.run(["git", "ls-files", "*.c", "*.h", "*.S"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
        files = out.split()
    except (OSError, subprocess.CalledProcessError):
        files = []
        for dirpath, dirnames, names in os.walk(ROOT):
            dirnames[:] = [d for d in dirnames if d not in ("build", ".git")]
            files += [os.path.relpath(os.path.join(dirpath, n), ROOT)
                      for n in names if n.endswith((".c", ".h", ".S"))]
    return sorted(f for f in files if "/corpus/" not in f)


# A handout's note where solution code was cut (tools/handout.py).
HANDOUT_NOTE = re.compile(r"^\s*// Lab \d+: ")
IS_HANDOUT = os.path.exists(os.path.join(ROOT, ".handout"))


def check_file(path):
    """The problems in one file, as (line number, what) pairs."""
    problems = []
    with open(os.path.join(ROOT, path), encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    is_c = path.endswith((".c", ".h"))
    for i, line in enumerate(lines, 1):
        if len(line.expandtabs(8)) > MAX_COLUMNS:
            problems.append((i, f"{len(line.expandtabs(8))} columns (at most {MAX_COLUMNS})"))
        if line != line.rstrip():
            problems.append((i, "white space at the end of the line"))
        if is_c and "\t" in line:
            problems.append((i, "a tab (indent with spaces)"))
        if is_c and line.strip() == "{":
            problems.append((i, "a brace alone on its line (K&R: it ends the line "
                                "that opens the block)"))
        if is_c and re.match(r"\s*else\b", line) and i > 1 and lines[i - 2].strip() == "}":
            problems.append((i, "`else` below a `}` (write `} else`)"))
        if is_c and not IS_HANDOUT and HANDOUT_NOTE.match(line):
            problems.append((i, "a comment that starts like a handout's note, `// Lab N: "
                                "` (the handout tests count those): reword it"))
    return problems


def main():
    files = sys.argv[1:] or tracked_sources()
    count = 0
    for path in files:
        for line, what in check_file(path):
            print(f"{path}:{line}: {what}")
            count += 1
    if count:
        print(f"stylecheck: {count} problem(s) in {len(files)} files")
        sys.exit(1)
    print(f"stylecheck: {len(files)} files, no problems")


if __name__ == "__main__":
    main()
