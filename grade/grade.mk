# grade/grade.mk: grading and handouts (included by the top Makefile).
#
#   make grade              every lab that has a grader (grade/lab*.py)
#   make grade LAB=N        lab N only
#   make handout LAB=N      the handout of lab N, in build/handout/labN
#                           (or OUT=dir); see lab-guide/markers.md
#   make gradescope LAB=N   lab N's Gradescope autograder, as a zip
#
# Guarded, so that `make -f Makefile -f grade/grade.mk ...` works whether
# or not the Makefile includes this file already.
ifndef GRADE_MK
GRADE_MK := 1

GRADE_LABS := $(sort $(patsubst grade/lab%.py,%,$(wildcard grade/lab*.py)))

.PHONY: grade handout gradescope
grade:
	@tools/deps.sh install
ifdef LAB
	@test -f grade/lab$(LAB).py || { echo "No grader for lab $(LAB) (there are: $(GRADE_LABS))."; exit 1; }
	@python3 grade/lab$(LAB).py
else
	@status=0; for n in $(GRADE_LABS); do python3 grade/lab$$n.py || status=1; done; exit $$status
endif

OUT ?= $(B)/handout/lab$(LAB)
# More options for tools/handout.py, e.g. HANDOUT_FLAGS=--untracked to
# include files git does not track yet (the consistency tests do).
HANDOUT_FLAGS ?=

handout:
	@test -n "$(LAB)" || { echo "Say which lab: make handout LAB=N [OUT=dir]"; exit 1; }
	@python3 tools/handout.py --lab $(LAB) --out $(OUT) $(HANDOUT_FLAGS)

gradescope:
	@test -n "$(LAB)" || { echo "Say which lab: make gradescope LAB=N"; exit 1; }
	@python3 grade/gradescope/mkzip.py --lab $(LAB) -o $(B)/gradescope/lab$(LAB).zip

endif
