#!/usr/bin/env python3
"""grade/gradescope/mkzip.py: lab N's autograder for Gradescope, as a zip.

The zip holds what Gradescope wants at its top (setup.sh, run_autograder),
a file "lab" with the lab's number, and tree/: the lab's handout, cut by
tools/handout.py, so the autograder carries the graders but no solution.
Upload it as the assignment's autograder (see grade/README.md).

  python3 grade/gradescope/mkzip.py --lab N -o build/gradescope/labN.zip
"""

import argparse
import os
import shutil
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import handout  # noqa: E402  (tools/handout.py)


def add(z, path, name):
    """Add one file, keeping its mode (run_autograder must stay executable)."""
    info = zipfile.ZipInfo.from_file(path, name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with open(path, "rb") as f:
        z.writestr(info, f.read())


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--lab", type=int, required=True)
    p.add_argument("-o", dest="out", required=True)
    p.add_argument("--untracked", action="store_true",
                   help="also files git does not track yet (see tools/handout.py)")
    a = p.parse_args()
    if not os.path.exists(os.path.join(ROOT, "grade", f"lab{a.lab}.py")):
        sys.exit(f"mkzip: there is no grader for lab {a.lab} (grade/lab{a.lab}.py)")

    tree = os.path.join(ROOT, "build", "gradescope", f"lab{a.lab}-tree")
    handout.make_handout(ROOT, tree, a.lab, a.untracked)
    if not os.path.exists(os.path.join(tree, "grade", f"lab{a.lab}.py")):
        shutil.rmtree(tree)
        sys.exit(f"mkzip: the lab {a.lab} handout has no grade/lab{a.lab}.py: "
                 "git does not track it yet (commit it, or use --untracked)")
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with zipfile.ZipFile(a.out, "w") as z:
        add(z, os.path.join(HERE, "setup.sh"), "setup.sh")
        add(z, os.path.join(HERE, "run_autograder"), "run_autograder")
        z.writestr("lab", f"{a.lab}\n")
        for dirpath, _, files in os.walk(tree):
            for name in sorted(files):
                path = os.path.join(dirpath, name)
                add(z, path, "tree/" + os.path.relpath(path, tree))
    shutil.rmtree(tree)
    print(f"Gradescope autograder for lab {a.lab}: {a.out}")


if __name__ == "__main__":
    main()
