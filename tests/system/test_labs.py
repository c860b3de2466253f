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
Likewise the Gradescope wrapper itself, run as Gradescope runs it, gives
the reference tree full marks and a handout 0.

In a handout (a tree with the .handout stamp that tools/handout.py
writes), the checks that cut and grade handouts are the course staff's,
and need the solutions the handout lacks: they are skipped, saying so, and
labs-full-tree grades only the labs up to the handout's own.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

from lib import ROOT, TestFailure, TestSkipped, handout_lab
import handout  # noqa: E402  (tools/handout.py: lib puts tools/ on the path)

LABS = os.path.join(ROOT, "build", "tests", "labs")
HANDOUT = os.path.join(ROOT, "tools", "handout.py")
GRADED = sorted(int(m.group(1)) for m in
                (re.fullmatch(r"lab(\d+)\.py", f)
                 for f in os.listdir(os.path.join(ROOT, "grade"))) if m)
HANDOUT_OF = handout_lab()             # None in the reference tree


def staff_only():
    """Skip a check of the reference tree when this tree is a handout."""
    if HANDOUT_OF is not None:
        raise TestSkipped(f"this tree is the lab {HANDOUT_OF} handout "
                          f"({handout.STAMP}): cutting and grading handouts is "
                          "checked in the course's reference tree, which has "
                          "the solutions")


def sh(cmd, cwd=ROOT, timeout=600, env=None):
    """Run cmd; return (exit status, stdout and stderr together)."""
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL,
                       env=None if env is None else {**os.environ, **env})
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


def check_own_files(out, lab, log):
    """The handout's own files: the stamp names the lab, README's tree
    note says what is cut out, answers-labN.md holds every question."""
    if handout_lab(out) != lab:
        raise TestFailure(f"the handout's {handout.STAMP} does not say lab {lab}", log)
    with open(os.path.join(out, "README.md")) as f:
        readme = f.read()
    if "complete reference solution" in readme or \
       f"This tree is the handout of lab {lab}" not in readme:
        raise TestFailure("the handout's README.md does not say it is the "
                          f"lab {lab} handout (or still says it is the "
                          "reference solution)", log)
    with open(os.path.join(ROOT, "lab-guide", f"lab{lab}.md")) as f:
        asked = handout.questions(f.readlines())
    if asked:
        try:
            with open(os.path.join(out, f"answers-lab{lab}.md")) as f:
                answers = f.read()
        except OSError:
            raise TestFailure(f"the handout has no answers-lab{lab}.md", log)
        room = answers.splitlines().count(handout.ANSWER_HERE)
        if room != len(asked):
            raise TestFailure(f"answers-lab{lab}.md has room for {room} "
                              f"answers; lab-guide/lab{lab}.md asks "
                              f"{len(asked)} questions", log)


def handout_test(lab):
    def test():
        staff_only()
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
        check_own_files(out, lab, log)

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
    """The complete tree scores full marks on every lab (a student's
    finished handout of lab N: on every lab up to N)."""
    report = ""
    for lab in (n for n in GRADED if HANDOUT_OF is None or n <= HANDOUT_OF):
        score, total, text = grade(ROOT, lab)
        report += text
        if score != total:
            raise TestFailure(f"the full tree scores {score}/{total} on lab {lab}",
                              report)


# ---- The Gradescope wrapper, as Gradescope runs it --------------------------

# The wrapper does not depend on the lab; one lab is enough (and the first
# is the quickest to grade).
GRADESCOPE_LAB = 1
GRADESCOPE = os.path.join(ROOT, "build", "tests", "gradescope")


def unzip(zip_path, where):
    """Unpack a zip keeping each file's mode, as unzip(1) on Gradescope does
    (zipfile's extractall drops it: the scripts would lose their x bit)."""
    with zipfile.ZipFile(zip_path) as z:
        for info in z.infolist():
            path = z.extract(info, where)
            mode = info.external_attr >> 16
            if mode:
                os.chmod(path, mode & 0o7777)


def copy_tree(src, dst):
    """The files of tree `src` (as the handout tool lists them), to dst."""
    files, _ = handout.list_files(src, untracked=True)
    for rel in files:
        os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
        shutil.copy2(os.path.join(src, rel), os.path.join(dst, rel),
                     follow_symlinks=False)


def autograde(ag, zip_path, fill):
    """Lay out Gradescope's /autograder in `ag` (the zip in source/, a
    submission that fill(folder) writes), run run_autograder there; return
    results.json and the log."""
    shutil.rmtree(ag, ignore_errors=True)
    unzip(zip_path, os.path.join(ag, "source"))
    fill(os.path.join(ag, "submission"))
    status, log = sh([os.path.join(ag, "source", "run_autograder")],
                     cwd=ag, timeout=900, env={"AUTOGRADER": ag})
    try:
        with open(os.path.join(ag, "results", "results.json")) as f:
            return json.load(f), log
    except (OSError, ValueError):
        raise TestFailure("run_autograder wrote no results.json", log)


def test_gradescope():
    """The Gradescope wrapper itself: the zip `make gradescope` makes,
    unpacked and run as Gradescope runs it, gives the reference tree (in a
    folder of the submission, as a zipped repository has it) full marks in
    results.json, and the lab's handout 0; the student's answers to the
    chapter's questions come out in results.json's output."""
    staff_only()
    lab = GRADESCOPE_LAB
    zip_path = os.path.join(GRADESCOPE, f"lab{lab}.zip")
    status, log = sh([sys.executable, os.path.join("grade", "gradescope", "mkzip.py"),
                      "--lab", str(lab), "--untracked", "-o", zip_path])
    if status != 0:
        raise TestFailure(f"make gradescope LAB={lab} failed", log)

    doc, run = autograde(os.path.join(GRADESCOPE, "reference"), zip_path,
                         lambda sub: copy_tree(ROOT, os.path.join(sub, "disco-v")))
    log += run
    total = sum(t["max_score"] for t in doc.get("tests", []))
    if total == 0 or doc.get("score") != total:
        raise TestFailure(f"the reference tree scores {doc.get('score')}/{total} "
                          "in results.json; want full marks",
                          log + json.dumps(doc, indent=2))
    if f"no answers-lab{lab}.md in the submission" not in doc.get("output", ""):
        raise TestFailure("results.json's output does not say that the "
                          "submission has no answers file", log + doc.get("output", ""))

    answer = "A page is zeroed before the lock is taken because (a test answer)."

    def handout_with_an_answer(sub):
        shutil.copytree(os.path.join(GRADESCOPE, "reference", "source", "tree"), sub,
                        symlinks=True)
        path = os.path.join(sub, f"answers-lab{lab}.md")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace(f"\n{handout.ANSWER_HERE}\n", f"\n{answer}\n", 1))

    doc, run = autograde(os.path.join(GRADESCOPE, "handout"), zip_path,
                         handout_with_an_answer)
    log += run
    if not doc.get("tests") or doc.get("score") != 0:
        raise TestFailure(f"the lab {lab} handout scores {doc.get('score')} with "
                          f"{len(doc.get('tests', []))} tests in results.json; "
                          "want 0 with every test run",
                          log + json.dumps(doc, indent=2))
    output = doc.get("output", "")
    if answer not in output or not re.search(r" 1 of \d+ answered", output):
        raise TestFailure("results.json's output does not show the answer "
                          f"written in answers-lab{lab}.md (and '1 of N "
                          "answered')", log + output)


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


README = """# A tree

<!-- BEGIN TREE NOTE: the handout's own note goes here -->
The tree you are reading is the complete reference solution.
<!-- END TREE NOTE -->

## More
"""

CHAPTER = """# Lab 1

## Questions

1. Why double x,
   and not triple it?
2. What is 2 + 2?

## Debugging
"""


def read(path):
    with open(path) as f:
        return f.read()


def test_cut():
    """Lab N's handout: regions of lab N and later become note + stub,
    earlier ones keep their solution; markers vanish; .S works the same.
    README's tree note becomes the handout's, naming the functions cut out
    for lab N and later; answers-labN.md holds the chapter's questions."""
    src, out = fake_tree("cut", {"hyp/a.c": GOOD, "hyp/b.S": ASM,
                                 "README.md": README,
                                 "lab-guide/lab1.md": CHAPTER})
    for lab, want in ((1, GOOD_LAB1), (2, GOOD_LAB2)):
        status, log = run_tool(src, out, lab)
        if status != 0:
            raise TestFailure(f"the handout tool failed on good markers (lab {lab})", log)
        got = read(os.path.join(out, "hyp", "a.c"))
        if got != want:
            raise TestFailure(f"lab {lab}: hyp/a.c is not what the markers say",
                              f"got:\n{got}\nwant:\n{want}")
        note = " ".join(read(os.path.join(out, "README.md")).split())
        cut = {1: "- `hyp/a.c`: `f` - `hyp/b.S`: `_f` The code of the later "
                  "labs is cut out the same way: - lab 2: `hyp/a.c`: `g`",
               2: "- `hyp/a.c`: `g` The labs before it come solved."}[lab]
        for text in (f"This tree is the handout of lab {lab}", cut, "## More"):
            if text not in note:
                raise TestFailure(f"lab {lab}: the handout's README.md lacks "
                                  f"{text!r}", note)
        if "reference solution." in note or "TREE NOTE" in note:
            raise TestFailure(f"lab {lab}: the handout's README.md still has "
                              "the reference tree's note", note)
        if handout_lab(out) != lab:
            raise TestFailure(f"lab {lab}: the stamp does not name the lab",
                              read(os.path.join(out, handout.STAMP)))
    if "li a0, 42" not in read(os.path.join(out, "hyp", "b.S")):
        raise TestFailure("the lab 2 handout lost lab 1's assembly solution")
    if os.path.exists(os.path.join(out, "answers-lab2.md")):
        raise TestFailure("an answers file for lab 2, whose chapter asks nothing")
    run_tool(src, out, 1)
    answers = " ".join(read(os.path.join(out, "answers-lab1.md")).split())
    for text in ("## Question 1 > Why double x, and not triple it? "
                 f"{handout.ANSWER_HERE} ## Question 2 > What is 2 + 2? "
                 f"{handout.ANSWER_HERE}",):
        if text not in answers:
            raise TestFailure("answers-lab1.md does not hold the chapter's "
                              "two questions, each with room for its answer",
                              answers)


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
    src, out = fake_tree("broken-tree-note", {
        "hyp/ok.c": GOOD, "README.md": "# A tree\n\n<!-- BEGIN TREE NOTE -->\n"
                                       "The reference solution.\n"})
    status, log = run_tool(src, out, 1)
    if status == 0 or "README.md: want one '<!-- BEGIN TREE NOTE" not in log:
        raise TestFailure("a README.md whose tree note has no END was not "
                          "refused with its reason", log)
    if os.path.exists(out):
        raise TestFailure("broken tree note: a handout was written anyway", log)


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
    ("labs-gradescope", test_gradescope),
    ("labs-handout-cut", test_cut),
    ("labs-handout-broken-markers", test_broken_markers),
    ("labs-handout-leak-check", test_leak_check),
]
