"""tests/system/test_labs.py: the labs keep their promises.

What these prove: for every lab with a grader (grade/labN.py) and code cut
out of it, the handout that `make handout LAB=N` writes builds, boots,
scores 0 on lab N's grader (so the grader really tests the code that was
cut out, and the stubs fail instead of passing by accident) and full marks
on every earlier lab's (so the handout fails only for reasons inside the
lab); the complete tree scores full marks on every lab; the handout tool
refuses broken markers, naming the file and line, and refuses to write a
handout into which solution text would leak.

A broken handout is what course staff fear most; these tests run on every
`make test` so that none ever reaches a student. The handouts are written
to build/tests/labs/labN/ and left there, to look at when a test fails.
"""

import json
import os
import re
import shutil
import subprocess
import sys

from lib import ROOT, TestFailure

LABS = os.path.join(ROOT, "build", "tests", "labs")
HANDOUT = os.path.join(ROOT, "tools", "handout.py")
GRADED = sorted(int(m.group(1)) for m in
                (re.fullmatch(r"lab(\d+)\.py", f)
                 for f in os.listdir(os.path.join(ROOT, "grade"))) if m)


def sh(cmd, cwd=ROOT, timeout=600):
    """Run cmd; return (exit status, stdout and stderr together)."""
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    return p.returncode, f"$ {' '.join(cmd)}\n{p.stdout}{p.stderr}"


def grade(tree, lab):
    """Run lab `lab`'s grader in `tree`: (score, max score, its output)."""
    results = os.path.join(tree, "build", "tests", f"results-lab{lab}.json")
    _, out = sh([sys.executable, os.path.join(tree, "grade", f"lab{lab}.py"),
                 "--json", results], cwd=tree)
    try:
        with open(results) as f:
            doc = json.load(f)
    except (OSError, ValueError):
        raise TestFailure(f"the lab {lab} grader wrote no results.json", out)
    return doc["score"], sum(t["max_score"] for t in doc["tests"]), out


def regions():
    """{lab: [(file, line)]} of the lab regions in this tree."""
    status, out = sh([sys.executable, HANDOUT, "--list"])
    if status != 0:
        raise TestFailure("tools/handout.py --list failed", out)
    found = {}
    for line in out.splitlines()[1:]:
        m = re.match(r"^lab (\d+)\s+(\S+):(\d+)-", line)
        if m:
            found.setdefault(int(m.group(1)), []).append(m.group(2))
    return found


def handout_test(lab):
    def test():
        out = os.path.join(LABS, f"lab{lab}")
        # The make target, with the grading fragment whether or not the
        # Makefile includes it yet; untracked files too, so that the test
        # sees the tree the developer sees.
        status, log = sh(["make", "--no-print-directory", "-f", "Makefile",
                          "-f", "grade/grade.mk", "handout", f"LAB={lab}",
                          f"OUT={out}", "HANDOUT_FLAGS=--untracked"])
        if status != 0:
            raise TestFailure(f"make handout LAB={lab} failed", log)

        # No marker is left; each region cut is now its note and stub.
        notes = 0
        for dirpath, _, files in os.walk(out):
            for name in files:
                if not name.endswith((".c", ".h", ".S")):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                if re.search(r"//\s*(BEGIN|END|STUB)\s+LAB\b", text):
                    raise TestFailure(f"{os.path.relpath(path, out)} still "
                                      "holds lab markers", log)
                notes += sum(int(k) >= lab for k in
                             re.findall(r"^\s*// Lab (\d+): ", text, re.M))
        want = sum(len(v) for k, v in regions().items() if k >= lab)
        if notes != want:
            raise TestFailure(f"{want} regions of lab {lab} and later in the "
                              f"tree, but {notes} '// Lab N:' notes in the "
                              "handout", log)

        status, build = sh(["make", "--no-print-directory", "-j2"], cwd=out)
        if status != 0:
            raise TestFailure(f"the lab {lab} handout does not build", log + build)

        report = log + build
        for earlier in (n for n in GRADED if n < lab):
            score, total, text = grade(out, earlier)
            report += text
            if score != total:
                raise TestFailure(f"the lab {lab} handout scores {score}/{total} "
                                  f"on lab {earlier}; want full marks", report)
        score, total, text = grade(out, lab)
        report += text
        if score != 0:
            raise TestFailure(f"the lab {lab} handout scores {score}/{total} on "
                              "its own lab; want 0", report)
    return test


def test_full_tree():
    """The complete tree scores full marks on every lab."""
    report = ""
    for lab in GRADED:
        score, total, text = grade(ROOT, lab)
        report += text
        if score != total:
            raise TestFailure(f"the full tree scores {score}/{total} on lab {lab}",
                              report)


# ---- The handout tool on made-up trees -------------------------------------

def fake_tree(name, files):
    """A small tree (not a git checkout) with these {path: text} files;
    returns its path and the path of a handout to write from it."""
    base = os.path.join(LABS, "fake", name)
    shutil.rmtree(base, ignore_errors=True)
    for rel, text in files.items():
        path = os.path.join(base, "src", rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    return os.path.join(base, "src"), os.path.join(base, "out")


def run_tool(src, out, lab):
    return sh([sys.executable, HANDOUT, "--src", src, "--out", out,
               "--lab", str(lab)])


GOOD = """int f(int x) {
  // BEGIN LAB 1: double x
  int twice = x * 2;
  return twice;
  // END LAB 1
  // STUB LAB 1: panic("lab 1: f not implemented");
}

int g(int x) {
  // BEGIN LAB 2: triple x
  return x * 3;
  // END LAB 2
  // STUB LAB 2: (void)x;
  // STUB LAB 2: return -1;
}
"""

GOOD_LAB1 = """int f(int x) {
  // Lab 1: double x
  panic("lab 1: f not implemented");
}

int g(int x) {
  // Lab 2: triple x
  (void)x;
  return -1;
}
"""

GOOD_LAB2 = """int f(int x) {
  int twice = x * 2;
  return twice;
}

int g(int x) {
  // Lab 2: triple x
  (void)x;
  return -1;
}
"""

ASM = """_f:
  // BEGIN LAB 1: load the answer
  li a0, 42
  // END LAB 1
  // STUB LAB 1: li a0, -1
  ret
"""


def test_cut():
    """Lab N's handout: regions of lab N and later become note + stub,
    earlier ones keep their solution; markers vanish; .S works the same."""
    src, out = fake_tree("cut", {"hyp/a.c": GOOD, "hyp/b.S": ASM})
    for lab, want in ((1, GOOD_LAB1), (2, GOOD_LAB2)):
        status, log = run_tool(src, out, lab)
        if status != 0:
            raise TestFailure(f"the handout tool failed on good markers (lab {lab})", log)
        with open(os.path.join(out, "hyp", "a.c")) as f:
            got = f.read()
        if got != want:
            raise TestFailure(f"lab {lab}: hyp/a.c is not what the markers say",
                              f"got:\n{got}\nwant:\n{want}")
    with open(os.path.join(out, "hyp", "b.S")) as f:
        if "li a0, 42" not in f.read():
            raise TestFailure("the lab 2 handout lost lab 1's assembly solution")


BROKEN = {
    "unbalanced": ("int f(void) {\n  // BEGIN LAB 1: do it\n  return 1;\n}\n",
                   "hyp/bad.c:2: BEGIN LAB 1 has no END LAB 1"),
    "end-without-begin": ("int f(void) {\n  return 1;\n  // END LAB 1\n}\n",
                          "hyp/bad.c:3: END LAB 1 without a BEGIN"),
    "mismatched": ("int f(void) {\n  // BEGIN LAB 1: do it\n  return 1;\n"
                   "  // END LAB 2\n  // STUB LAB 2: return 0;\n}\n",
                   "hyp/bad.c:4: END LAB 2 closes BEGIN LAB 1 of line 2"),
    "nested": ("int f(void) {\n  // BEGIN LAB 1: do it\n  // BEGIN LAB 2: more\n"
               "  return 1;\n  // END LAB 2\n  // STUB LAB 2: return 0;\n"
               "  // END LAB 1\n  // STUB LAB 1: return 0;\n}\n",
               "hyp/bad.c:3: BEGIN LAB 2 inside the region of lab 1"),
    "no-stub": ("int f(void) {\n  // BEGIN LAB 1: do it\n  return 1;\n"
                "  // END LAB 1\n}\n",
                "hyp/bad.c:4: the region of lab 1 (lines 2-4) has no"),
    "stray-stub": ("int f(void) {\n  // STUB LAB 1: return 0;\n}\n",
                   "hyp/bad.c:2: STUB LAB 1 is not right after an END LAB 1"),
    "malformed": ("int f(void) {\n  // BEGIN LAB one: do it\n  return 1;\n}\n",
                  "hyp/bad.c:2: malformed marker"),
    "no-note": ("int f(void) {\n  // BEGIN LAB 1:\n  return 1;\n"
                "  // END LAB 1\n  // STUB LAB 1: return 0;\n}\n",
                "hyp/bad.c:2: malformed marker"),
}


def test_broken_markers():
    """Every kind of broken marker is refused with file:line, and no
    handout is written."""
    for name, (text, message) in BROKEN.items():
        src, out = fake_tree("broken-" + name, {"hyp/ok.c": GOOD, "hyp/bad.c": text})
        status, log = run_tool(src, out, 1)
        if status == 0:
            raise TestFailure(f"{name}: the handout tool accepted broken markers", log)
        if message not in log:
            raise TestFailure(f"{name}: expected {message!r} in the error", log)
        if os.path.exists(out):
            raise TestFailure(f"{name}: a handout was written anyway", log)


def test_leak_check():
    """A line of a removed solution found anywhere in the handout (here, a
    grader's notes) is an error naming both places; a line that is also
    ordinary code outside every region ("return twice;") is not a leak."""
    src, out = fake_tree("leak", {
        "hyp/a.c": GOOD,
        "hyp/other.c": "int h(int x) {\n  int twice = x + x;\n  return twice;\n}\n",
        "grade/notes.md": "Lab 1 hint:\n\n    int twice = x * 2;\n",
        "grade/other.md": "    return twice;\n",
    })
    status, log = run_tool(src, out, 1)
    if status == 0:
        raise TestFailure("the handout tool let solution text into grade/notes.md", log)
    want = "grade/notes.md:3: holds solution text of hyp/a.c:3"
    if want not in log:
        raise TestFailure(f"expected {want!r} in the error", log)
    if "other.md" in log:
        raise TestFailure("an ordinary line was reported as a leak", log)
    if os.path.exists(out):
        raise TestFailure("a handout was written anyway", log)
    # The same tree handed out for lab 2 keeps lab 1's solution: no leak.
    status, log = run_tool(src, out, 2)
    if status != 0:
        raise TestFailure("lab 2's handout may show lab 1's solution, but "
                          "the tool refused it", log)


TESTS = [(f"labs-handout-lab{lab}", handout_test(lab))
         for lab in GRADED if lab > 0]
TESTS += [
    ("labs-full-tree", test_full_tree),
    ("labs-handout-cut", test_cut),
    ("labs-handout-broken-markers", test_broken_markers),
    ("labs-handout-leak-check", test_leak_check),
]
