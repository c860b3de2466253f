#!/usr/bin/env python3
"""grade/gradescope/answers.py: hand a submission's answers to the course
staff, in results.json.

Each handout has answers-labN.md (tools/handout.py writes it from the
questions of lab-guide/labN.md), where the student answers the chapter's
questions. The graders cannot score prose; the staff grade it by hand. So
run_autograder calls this after the grader: it puts the file, under a line
that says how many questions have an answer, into the top-level "output"
of results.json, which Gradescope shows above the tests to the staff (and
to the student), and the same text into "extra_data" for an export.

  python3 grade/gradescope/answers.py RESULTS LAB SUBMITTED COURSE

SUBMITTED is the student's tree, COURSE the course's own (the handout in
the autograder), whose lab-guide/labN.md says how many questions there are.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "tools"))

import handout  # noqa: E402  (tools/handout.py: the questions, the placeholder)


def answers_text(lab, submitted, course):
    """What to show the staff: the answers file with a line on top, or
    why there is none; None when the lab's chapter asks no questions."""
    chapter = os.path.join(course, "lab-guide", f"lab{lab}.md")
    if not os.path.exists(chapter):
        return None
    asked = len(handout.questions(handout.read_lines(chapter)))
    if asked == 0:
        return None
    name = f"answers-lab{lab}.md"
    try:
        with open(os.path.join(submitted, name), encoding="utf-8",
                  errors="replace") as f:
            text = f.read()
    except OSError:
        return (f"Questions (graded by hand): no {name} in the submission, so "
                f"none of the {asked} questions of lab-guide/lab{lab}.md is "
                "answered.")
    blank = sum(line.strip() == handout.ANSWER_HERE for line in text.splitlines())
    return (f"Questions (graded by hand): {name}, {max(asked - blank, 0)} of "
            f"{asked} answered.\n\n{text}")


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: answers.py RESULTS LAB SUBMITTED COURSE")
    results, lab = sys.argv[1], int(sys.argv[2])
    text = answers_text(lab, sys.argv[3], sys.argv[4])
    if text is None:
        return
    with open(results) as f:
        doc = json.load(f)
    doc["output"] = text
    doc.setdefault("extra_data", {})[f"answers-lab{lab}"] = text
    with open(results, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
