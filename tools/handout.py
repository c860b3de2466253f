#!/usr/bin/env python3
"""tools/handout.py: cut the handout of one lab out of the solution tree.

The tree on main is the complete reference solution. Code that lab N asks
students to write stands inside a function body between two marker lines,
and a third line says what the handout puts in its place
(lab-guide/markers.md has the whole story):

    static uint64_t *pmap_walk(struct pmap *pm, uint64_t gpa, bool alloc) {
      // BEGIN LAB 1: find gpa's level-0 PTE, adding tables and counting them
      ...the solution...
      // END LAB 1
      // STUB LAB 1: panic("lab 1: pmap_walk not implemented");
    }

The handout for lab N is a copy of the tree in which

  - every region of lab N or later becomes its note, as a comment, and its
    stub, uncommented:
        // Lab 1: find gpa's level-0 PTE, adding tables and counting them
        panic("lab 1: pmap_walk not implemented");
  - every region of an earlier lab keeps its solution; its marker lines go;
  - nothing else changes.

Markers are looked for in C and assembly sources (.c, .h, .S) only. A
marker that is malformed, unbalanced, nested, closed with the wrong lab, or
not followed by a STUB line is an error that names the file and line, and
no handout is written.

Which files: those git tracks (`git ls-files`), as they are in the working
tree; with --untracked also the files git does not ignore but does not
track yet (the tests use that, so they check the tree a developer sees).
Outside a git checkout, every file under the source folder. Never build/,
tests/out/ or grade/out/.

Three files are the handout's own:

  - README.md: the paragraph between "<!-- BEGIN TREE NOTE" and
    "<!-- END TREE NOTE -->" (which says the tree is the reference
    solution) becomes a note that this is lab N's handout, naming the
    functions cut out for lab N and for later labs;
  - answers-labN.md: the questions of lab-guide/labN.md (its "Questions"
    section), each with room for an answer; the Gradescope wrapper hands
    it to the course staff for hand grading (grade/README.md);
  - .handout: the stamp that says "this tree is the handout of lab N"
    (the tests skip the staff's handout checks in such a tree).

Last, a leak check: no line of a removed solution may appear anywhere in
the handout (the graders, the lab guide, the tests included), unless the
same line is also ordinary code outside every removed region (a "return
-1;" gives nothing away). A leak is an error naming both places.

  python3 tools/handout.py --lab N [--out DIR] [--src DIR] [--untracked]
  python3 tools/handout.py --list        every region in the tree
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Files that may hold markers.
MARKED_SUFFIXES = (".c", ".h", ".S")

# Never copied: build outputs, saved logs, git's own folder.
EXCLUDE_DIRS = ("build", ".git", "tests/out", "grade/out")
EXCLUDE_NAMES = ("__pycache__", ".gdbinit")

# The stamp that says "this folder is a handout", so a later run may
# replace it (and will not replace a folder that is something else), and
# which lab: tests/system/lib.py reads it back with STAMP_LAB.
STAMP = ".handout"
STAMP_LAB = re.compile(r"^Disco-V handout for lab (\d+)\b")

# The paragraph of README.md that a handout replaces with its own note.
TREE_NOTE_FILE = "README.md"
TREE_NOTE_BEGIN = re.compile(r"^<!-- BEGIN TREE NOTE\b.*-->\s*$")
TREE_NOTE_END = re.compile(r"^<!-- END TREE NOTE -->\s*$")

# A C function definition's first line (at column 0, not a declaration),
# and an assembly label: what encloses a region, for the tree note.
C_FUNCTION = re.compile(r"^[A-Za-z_][\w \t*]*?\b(\w+)\s*\(")
ASM_LABEL = re.compile(r"^(\w+):")

# Any line that looks like it means to be a marker...
LOOSE = re.compile(r"//\s*(BEGIN|END|STUB)\s+LAB\b")
# ...must be exactly one of these.
BEGIN = re.compile(r"^(\s*)// BEGIN LAB (\d+): (\S.*?)\s*$")
END = re.compile(r"^\s*// END LAB (\d+)\s*$")
STUB = re.compile(r"^(\s*)// STUB LAB (\d+): (\S.*?)\s*$")

# Solution lines shorter than this are not worth a leak report.
LEAK_MIN_CHARS = 10


class MarkerError(Exception):
    """Broken markers: a list of "file:line: what" messages."""


class Region:
    """One lab's solution in one file: lines begin..end (0-based, the
    marker lines included) and the stub lines right after end."""

    def __init__(self, path, lab, note, indent, begin):
        self.path, self.lab, self.note, self.indent = path, lab, note, indent
        self.begin = begin
        self.end = None
        self.stubs = []           # (line number, indent, code)

    def body(self, lines):
        return lines[self.begin + 1:self.end]


def parse(path, lines):
    """The regions of one file; raises MarkerError listing every problem."""
    errors, regions = [], []
    open_region = None
    last = None                   # the region whose END or STUB was just seen

    def err(i, msg):
        errors.append(f"{path}:{i + 1}: {msg}")

    for i, line in enumerate(lines):
        if not LOOSE.search(line):
            last = None
            continue
        m_begin, m_end, m_stub = BEGIN.match(line), END.match(line), STUB.match(line)
        if m_begin:
            lab = int(m_begin.group(2))
            if open_region is not None:
                err(i, f"BEGIN LAB {lab} inside the region of lab "
                       f"{open_region.lab} begun at line {open_region.begin + 1}: "
                       "regions do not nest")
            open_region = Region(path, lab, m_begin.group(3), m_begin.group(1), i)
            last = None
        elif m_end:
            lab = int(m_end.group(1))
            if open_region is None:
                err(i, f"END LAB {lab} without a BEGIN LAB {lab} before it")
                last = None
            else:
                if lab != open_region.lab:
                    err(i, f"END LAB {lab} closes BEGIN LAB {open_region.lab} "
                           f"of line {open_region.begin + 1}")
                open_region.end = i
                regions.append(open_region)
                last, open_region = open_region, None
        elif m_stub:
            lab = int(m_stub.group(2))
            if last is None:
                err(i, f"STUB LAB {lab} is not right after an END LAB {lab} "
                       "(or another STUB line)")
            elif lab != last.lab:
                err(i, f"STUB LAB {lab} follows the region of lab {last.lab}")
            else:
                last.stubs.append((i, m_stub.group(1), m_stub.group(3)))
        else:
            err(i, "malformed marker: want '// BEGIN LAB <n>: <what to do>', "
                   "'// END LAB <n>' or '// STUB LAB <n>: <code>', alone on "
                   "the line")
            last = None
    if open_region is not None:
        err(open_region.begin, f"BEGIN LAB {open_region.lab} has no END LAB "
                               f"{open_region.lab}")
    for r in regions:
        if not r.stubs:
            err(r.end, f"the region of lab {r.lab} (lines {r.begin + 1}-"
                       f"{r.end + 1}) has no '// STUB LAB {r.lab}: <code>' "
                       "line right after its END: the handout needs code to "
                       "put in its place")
    if errors:
        raise MarkerError(errors)
    return regions


def cut(lines, regions, lab):
    """The handout text of one file for `lab`."""
    out, i = [], 0
    for r in regions:
        out += lines[i:r.begin]
        if r.lab < lab:
            out += r.body(lines)                  # an earlier lab: solved
        else:
            out.append(f"{r.indent}// Lab {r.lab}: {r.note}\n")
            for _, indent, code in r.stubs:
                out.append(f"{indent}{code}\n")
        i = r.stubs[-1][0] + 1
    out += lines[i:]
    return out


def enclosing_function(path, lines, begin):
    """The name of the function (or assembly label) a region at line
    `begin` sits in, or "line N" when none is found."""
    pattern = ASM_LABEL if path.endswith(".S") else C_FUNCTION
    for i in range(begin - 1, -1, -1):
        m = pattern.match(lines[i])
        if m and not lines[i].rstrip().endswith(";"):
            return m.group(1)
    return f"line {begin + 1}"


def para(text, first="", rest=""):
    """text as lines of Markdown wrapped at 72 columns."""
    return [l + "\n" for l in textwrap.wrap(text, 72, initial_indent=first,
                                            subsequent_indent=rest,
                                            break_on_hyphens=False)]


def tree_note(parsed, lab, commit, answers):
    """The handout's paragraph for README.md: which lab, what is cut out,
    and (when `answers`) where the answers to the questions go."""
    cut = {}                                  # lab -> {file: [functions]}
    for rel, (lines, regions) in sorted(parsed.items()):
        for r in regions:
            if r.lab >= lab:
                names = cut.setdefault(r.lab, {}).setdefault(rel, [])
                name = enclosing_function(rel, lines, r.begin)
                if name not in names:
                    names.append(name)

    def functions(files):
        return "; ".join(f"`{rel}`: " + ", ".join(f"`{n}`" for n in names)
                         for rel, names in files.items())

    first = (f"This tree is the handout of lab {lab}, cut by "
             f"`tools/handout.py` from the reference solution ({commit}). ")
    if lab in cut:
        out = para(first + f"What lab {lab} asks you to write is cut out: each "
                   "of these functions keeps its contract comment, but its body "
                   "is a note and a stub: one that stops the monitor naming "
                   "the function, or a stand-in that is correct but slow, as "
                   f"the chapter says (start with `lab-guide/lab{lab}.md`):") + ["\n"]
        for rel, names in cut[lab].items():
            out += para(functions({rel: names}), "- ", "  ")
    else:
        out = para(first + f"Lab {lab} asks you to write no code (start with "
                   f"`lab-guide/lab{lab}.md`).")
    later = sorted(k for k in cut if k > lab)
    if later:
        out += ["\n"] + para("The code of the later labs is cut out the same "
                             "way:") + ["\n"]
        for k in later:
            out += para(f"lab {k}: " + functions(cut[k]), "- ", "  ")
    last = "The labs before it come solved. " if lab > 0 else ""
    if answers:
        last += f"Write your answers to the chapter's questions in `{answers}`."
    if last:
        out += ["\n"] + para(last)
    return out


def replace_tree_note(path, lines, note):
    """README.md's lines with its tree-note paragraph (markers included)
    replaced by `note`; raises MarkerError when the markers are broken.
    Unchanged when there is no tree note."""
    begins = [i for i, l in enumerate(lines) if TREE_NOTE_BEGIN.match(l)]
    ends = [i for i, l in enumerate(lines) if TREE_NOTE_END.match(l)]
    if not begins and not ends:
        return lines
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        raise MarkerError([f"{path}: want one '<!-- BEGIN TREE NOTE ... -->' "
                           "line and, after it, one '<!-- END TREE NOTE -->' "
                           f"line; found BEGIN at {[b + 1 for b in begins]}, "
                           f"END at {[e + 1 for e in ends]}"])
    return lines[:begins[0]] + note + lines[ends[0] + 1:]


QUESTIONS = re.compile(r"^## Questions\s*$")
QUESTION = re.compile(r"^(\d+)\.\s+(.*)$")
ANSWER_HERE = "(your answer)"


def questions(chapter):
    """[(number, text)] of a lab chapter's "Questions" section: numbered
    items, each with its indented continuation lines."""
    found, inside = [], False
    for line in chapter:
        if line.startswith("## "):
            inside = bool(QUESTIONS.match(line))
            continue
        if not inside:
            continue
        m = QUESTION.match(line)
        if m:
            found.append([m.group(1), m.group(2).strip()])
        elif found and line.startswith("   ") and line.strip():
            found[-1][1] += " " + line.strip()
    return [tuple(q) for q in found]


def answers_file(lab, items):
    """answers-labN.md for the handout: each question, room for its answer."""
    out = [f"# Lab {lab}: answers to the questions\n", "\n"]
    out += para(f"The questions of `lab-guide/lab{lab}.md`. Write your answer "
                f"under each, in place of `{ANSWER_HERE}`, in your own words: "
                "a few sentences, with the code or numbers that support them. "
                "Submit this file with your tree; the course staff read it and "
                "grade it by hand (the autograder shows it to them beside your "
                "score).")
    for number, text in items:
        out += ["\n", f"## Question {number}\n", "\n"]
        out += para(text, "> ", "> ") + ["\n", f"{ANSWER_HERE}\n"]
    return out


def excluded(rel):
    parts = rel.split("/")
    if any(p in EXCLUDE_NAMES for p in parts):
        return True
    return any(rel == d or rel.startswith(d + "/") for d in EXCLUDE_DIRS)


def list_files(src, untracked):
    """The tree's files, relative to src, sorted; and where the list came
    from (for the message)."""
    git = subprocess.run(["git", "-C", src, "rev-parse", "--show-toplevel"],
                         capture_output=True, text=True)
    if git.returncode == 0 and os.path.samefile(git.stdout.strip(), src):
        cmd = ["git", "-C", src, "ls-files", "-z", "--cached"]
        if untracked:
            cmd += ["--others", "--exclude-standard"]
        p = subprocess.run(cmd, capture_output=True, check=True)
        names = p.stdout.decode().split("\0")
        how = "git ls-files" + (" (with untracked files)" if untracked else "")
        # What is tracked but was deleted in the working tree is gone.
        names = [n for n in names if n and os.path.lexists(os.path.join(src, n))]
    else:
        names, how = [], "every file (not a git checkout)"
        for dirpath, dirnames, filenames in os.walk(src):
            rel_dir = os.path.relpath(dirpath, src)
            rel_dir = "" if rel_dir == "." else rel_dir + "/"
            dirnames[:] = [d for d in dirnames if not excluded(rel_dir + d)]
            names += [rel_dir + f for f in filenames]
    return sorted(set(n for n in names if not excluded(n))), how


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return f.readlines()


def scan(src, files):
    """{relative path: (lines, regions)} for every file that may hold
    markers; raises MarkerError with the problems of all files."""
    parsed, errors = {}, []
    for rel in files:
        if not rel.endswith(MARKED_SUFFIXES) or os.path.islink(os.path.join(src, rel)):
            continue
        lines = read_lines(os.path.join(src, rel))
        try:
            parsed[rel] = (lines, parse(rel, lines))
        except MarkerError as e:
            errors += e.args[0]
    if errors:
        raise MarkerError(errors)
    return parsed


def leak_lines(parsed, lab):
    """{stripped solution line: "file:line"} for the solutions the handout
    removes, minus lines that are also ordinary code elsewhere."""
    removed, ordinary = {}, set()
    for rel, (lines, regions) in parsed.items():
        inside = set()
        for r in regions:
            span = range(r.begin, r.stubs[-1][0] + 1)
            inside.update(span)
            if r.lab >= lab:
                for i in range(r.begin + 1, r.end):
                    text = lines[i].strip()
                    if len(text) >= LEAK_MIN_CHARS:
                        removed.setdefault(text, f"{rel}:{i + 1}")
        # Code that tests and graders carry does not count as "ordinary":
        # that is where a leak would hide.
        if rel.startswith(("grade/", "tests/")):
            continue
        for i, line in enumerate(lines):
            if i not in inside:
                ordinary.add(line.strip())
    return {t: where for t, where in removed.items() if t not in ordinary}


def check_leaks(out, files, secrets):
    """Every "file:line" of the handout that holds a removed solution line."""
    found = []
    if not secrets:
        return found
    for rel in files:
        path = os.path.join(out, rel)
        if os.path.islink(path) or os.path.getsize(path) > 4 << 20:
            continue
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", errors="replace")
        for i, line in enumerate(text.splitlines()):
            where = secrets.get(line.strip())
            if where is not None:
                found.append(f"{rel}:{i + 1}: holds solution text of {where}: "
                             f"{line.strip()!r}")
    return found


def commit_of(src):
    p = subprocess.run(["git", "-C", src, "describe", "--always", "--dirty"],
                       capture_output=True, text=True)
    return p.stdout.strip() if p.returncode == 0 else "no git"


def check_out(out, src):
    """Make sure `out` may be (re)written: it must not be the tree itself
    or hold it, and an existing folder must be an earlier handout."""
    out_abs, src_abs = os.path.realpath(out), os.path.realpath(src)
    if out_abs == src_abs or src_abs.startswith(out_abs + os.sep):
        sys.exit(f"handout: --out {out} would overwrite the source tree")
    if os.path.exists(out_abs) and os.listdir(out_abs) and \
       not os.path.exists(os.path.join(out_abs, STAMP)):
        sys.exit(f"handout: {out} exists and is not a handout (no {STAMP} "
                 "file in it); remove it or choose another --out")


def make_handout(src, out, lab, untracked=False):
    """Write the handout of `lab` to `out`. Returns (files, regions cut,
    regions kept, how the files were listed). Exits with the errors when
    markers are broken or a solution leaks."""
    files, how = list_files(src, untracked)
    try:
        parsed = scan(src, files)
    except MarkerError as e:
        sys.exit("handout: broken lab markers, no handout written:\n  " +
                 "\n  ".join(e.args[0]))
    secrets = leak_lines(parsed, lab)

    check_out(out, src)
    tmp = os.path.realpath(out) + f".tmp{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    cut_regions = kept = 0
    for rel in files:
        from_path, to_path = os.path.join(src, rel), os.path.join(tmp, rel)
        os.makedirs(os.path.dirname(to_path), exist_ok=True)
        if rel in parsed and parsed[rel][1]:
            lines, regions = parsed[rel]
            with open(to_path, "w", encoding="utf-8") as f:
                f.writelines(cut(lines, regions, lab))
            shutil.copymode(from_path, to_path)
            cut_regions += sum(r.lab >= lab for r in regions)
            kept += sum(r.lab < lab for r in regions)
        else:
            shutil.copy2(from_path, to_path, follow_symlinks=False)

    commit = commit_of(src)
    chapter = os.path.join(src, "lab-guide", f"lab{lab}.md")
    items = questions(read_lines(chapter)) if os.path.exists(chapter) else []
    answers = f"answers-lab{lab}.md" if items else None
    if answers:
        with open(os.path.join(tmp, answers), "w") as f:
            f.writelines(answers_file(lab, items))
    if TREE_NOTE_FILE in files:
        path = os.path.join(tmp, TREE_NOTE_FILE)
        try:
            text = replace_tree_note(TREE_NOTE_FILE, read_lines(path),
                                     tree_note(parsed, lab, commit, answers))
        except MarkerError as e:
            shutil.rmtree(tmp)
            sys.exit("handout: broken tree note, no handout written:\n  " +
                     "\n  ".join(e.args[0]))
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(text)

    leaks = check_leaks(tmp, files, secrets)
    if leaks:
        shutil.rmtree(tmp)
        sys.exit("handout: solution text would leak into the handout, none "
                 "written:\n  " + "\n  ".join(leaks))
    with open(os.path.join(tmp, STAMP), "w") as f:
        f.write(f"Disco-V handout for lab {lab}, cut by tools/handout.py "
                f"from {commit}.\nSee lab-guide/README.md.\n")
    # Only now, with a good handout in hand, does the old one go.
    shutil.rmtree(os.path.realpath(out), ignore_errors=True)
    os.rename(tmp, os.path.realpath(out))
    return files, cut_regions, kept, how


def list_regions(src, untracked):
    files, _ = list_files(src, untracked)
    try:
        parsed = scan(src, files)
    except MarkerError as e:
        sys.exit("handout: broken lab markers:\n  " + "\n  ".join(e.args[0]))
    for rel, (lines, regions) in sorted(parsed.items()):
        for r in regions:
            print(f"lab {r.lab}  {rel}:{r.begin + 1}-{r.end + 1}  {r.note}")


def main():
    p = argparse.ArgumentParser(description="Cut the handout of a lab out of "
                                "the solution tree (see lab-guide/markers.md).")
    p.add_argument("--lab", type=int, help="the lab to hand out")
    p.add_argument("--out", help="where to write it (default build/handout/labN)")
    p.add_argument("--src", default=ROOT, help="the solution tree (default: this one)")
    p.add_argument("--untracked", action="store_true",
                   help="also copy files git does not track yet (but does not ignore)")
    p.add_argument("--list", action="store_true", help="list every lab region")
    a = p.parse_args()
    src = os.path.abspath(a.src)
    if a.list:
        list_regions(src, a.untracked)
        return
    if a.lab is None or a.lab < 0:
        p.error("say which lab: --lab N")
    out = a.out or os.path.join(src, "build", "handout", f"lab{a.lab}")
    files, cut_n, kept, how = make_handout(src, out, a.lab, a.untracked)
    print(f"handout for lab {a.lab}: {len(files)} files ({how}) -> {out}")
    print(f"  {cut_n} regions of lab {a.lab} and later replaced by their stubs, "
          f"{kept} of earlier labs kept")
    if cut_n == 0 and a.lab > 0:
        print(f"  note: the tree has no region of lab {a.lab} or later: this "
              "handout is the whole solution")


if __name__ == "__main__":
    main()
