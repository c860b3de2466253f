"""tests/system/test_splashos.py: the splashos applications, bare.

What these prove: each SPLASH-2-style application (radix, lu, fft, ocean,
raytrace), linked with the splashos library OS into its own image, boots
on the bare machine with 1, 2 and 4 harts on 1 and 2 NUMA nodes, starts
one thread per hart, passes its own check of its result (sortedness,
residual, round-trip error, ...), reports the work each hart did and on
which node, and powers off with "splashos: exit 0". And the result itself
does not depend on how many threads computed it: the checksum with 2 or 4
harts must equal the one with a single hart. A mismatch there means a race
(a missing barrier, a thread reading data another has not finished
writing), which is exactly what these tests are for.

When the monitor can run guests, the same images will run under it and
must print the same checksums: a guest cannot tell the difference.

QEMU exits with status 0 after any SBI shutdown on OpenSBI 1.1, failure or
not, so the tests read the "splashos: exit N" line, not the status.
"""

import os
import re
import subprocess
import threading

from lib import ROOT, TestFailure, boot, qemu

APPS = ["radix", "lu", "fft", "ocean", "raytrace"]

# (nodes, harts) for each application; (1, 1) is the reference run.
SHAPES = [(1, 1), (1, 2), (1, 4), (2, 2), (2, 4)]

# Small problems for the tests that only need a result to damage.
SMALL = {"radix": "n=65536", "lu": "n=64", "fft": "n=4096",
         "ocean": "n=64", "raytrace": "size=64"}


def elf(app):
    return os.path.join(ROOT, "build", "splashos", f"{app}.elf")


def run_app(app, cpus, nodes, args=""):
    """Boot `app` bare with one thread per hart; return the Run."""
    append = f"threads={cpus} {args}".strip()
    return boot(cpus=cpus, nodes=nodes, kernel=elf(app),
                extra=["-append", append], timeout=60)


def result_line(run, app):
    """The application's result line, as a regex match: groups are the
    thread count, the check verdict and the checksum."""
    return run.match(rf"^{app}: .*threads=(\d+) check=(\S+) "
                     rf"checksum=(0x[0-9a-f]+) time=\d+us$")


def check_run(run, app, cpus, nodes):
    """A run that must have passed: clean exit, check=ok, every hart
    reporting its work on its own node. Returns the checksum."""
    run.expect_clean_exit()
    run.expect("splashos: exit 0")
    m = result_line(run, app)
    if m.group(2) != "ok":
        run.fail(f"{app} with {cpus} harts on {nodes} nodes: "
                 f"check={m.group(2)}")
    if int(m.group(1)) != cpus:
        run.fail(f"ran {m.group(1)} threads, asked for {cpus}")
    for node, harts in enumerate(qemu.node_harts(cpus, nodes)):
        for h in harts:
            if not re.search(rf"^hart {h}: \d+ .*, node {node}\)$",
                             run.output, re.M):
                run.fail(f"no work line for hart {h} on node {node}")
    return m.group(3)


# The 1-hart checksum of each application, computed once and shared by
# that application's other tests (which may run at the same time, hence
# the lock). A failed reference run is remembered as the failure.
_reference = {}
_locks = {app: threading.Lock() for app in APPS}


def reference(app):
    with _locks[app]:
        if app not in _reference:
            run = run_app(app, 1, 1)
            try:
                _reference[app] = check_run(run, app, 1, 1)
            except TestFailure as e:
                _reference[app] = e
        if isinstance(_reference[app], TestFailure):
            e = _reference[app]
            raise TestFailure(f"the 1-hart reference run failed: {e}",
                              e.output)
        return _reference[app]


def app_test(app, nodes, cpus):
    def test():
        want = reference(app)
        if (nodes, cpus) == (1, 1):
            return
        run = run_app(app, cpus, nodes)
        got = check_run(run, app, cpus, nodes)
        if got != want:
            run.fail(f"{app}: checksum {got} with {cpus} harts on {nodes} "
                     f"nodes, but {want} with 1 hart: the result depends "
                     f"on the thread count")
    return test


def corrupt_test(app):
    """With corrupt=1 the application damages its own result before the
    check; the check must notice, say check=FAILED, and exit 1."""
    def test():
        run = run_app(app, 2, 1, SMALL[app] + " corrupt=1")
        if run.timed_out:
            run.fail("hung")
        run.forbid("panic:")
        if result_line(run, app).group(2) != "FAILED":
            run.fail("the damaged result passed its check")
        run.expect("splashos: exit 1")
    return test


def test_bad_argument():
    """A misspelt boot argument is refused with the list of arguments,
    not silently ignored."""
    run = run_app("radix", 2, 1, "keys=100")
    if run.timed_out:
        run.fail("hung")
    run.expect("splashos: unknown boot argument 'keys'")
    run.expect("splashos: radix takes threads=")
    run.expect("splashos: exit 2")
    run.forbid("radix: n=")


def test_fewer_threads_than_harts():
    """threads=2 on a 4-hart machine: two threads run (the boot hart and
    one more), the other two harts are never started, and the run still
    ends cleanly."""
    run = boot(cpus=4, nodes=2, kernel=elf("radix"),
               extra=["-append", "threads=2 n=65536"], timeout=60)
    run.expect_clean_exit()
    run.expect("splashos: exit 0")
    m = result_line(run, "radix")
    if m.group(1) != "2" or m.group(2) != "ok":
        run.fail(f"threads={m.group(1)} check={m.group(2)}, want 2 and ok")
    lines = re.findall(r"^hart \d+: \d+ keys", run.output, re.M)
    if len(lines) != 2:
        run.fail(f"{len(lines)} harts reported work, want 2")


def make(*args):
    proc = subprocess.run(["make", "--no-print-directory"] + list(args),
                          cwd=ROOT, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    return proc.returncode, proc.stdout + proc.stderr


def test_make_splash():
    """`make splash APP=... ARGS=...` runs the app bare on the knobs'
    machine and passes ARGS as the boot arguments."""
    status, out = make("splash", "APP=fft", "CPUS=2", "NODES=2",
                       "ARGS=threads=2 n=4096")
    if status != 0 or "fft: n=4096 threads=2 check=ok" not in out \
       or "splashos: exit 0" not in out:
        raise TestFailure("make splash APP=fft did not run fft", out)


def test_make_splash_unknown_app():
    """An unknown APP is refused with the list of applications."""
    status, out = make("splash", "APP=nosuch")
    if status == 0 or "choose one of: " + " ".join(sorted(APPS)) not in out:
        raise TestFailure("make splash APP=nosuch was not refused clearly", out)


TESTS = [(f"splash-{app}-n{nodes}-c{cpus}", app_test(app, nodes, cpus))
         for app in APPS for nodes, cpus in SHAPES]
TESTS += [(f"splash-{app}-corrupt", corrupt_test(app)) for app in APPS]
TESTS += [
    ("splash-bad-argument", test_bad_argument),
    ("splash-fewer-threads-than-harts", test_fewer_threads_than_harts),
    ("splash-make-run", test_make_splash),
    ("splash-make-unknown-app", test_make_splash_unknown_app),
]
