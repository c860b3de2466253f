"""tests/system/test_splashos_vm.py: the splashos applications as guests.

What these prove: the very images that run on the bare machine
(tests/system/test_splashos.py) run unchanged in a VM on the monitor, with
1, 2 and 4 vCPUs on machines of 1 and 2 nodes, pass their own checks, and
compute the same checksum as a bare run with one hart. That is Disco's
claim for SPLASHOS (Disco 4.4): a guest cannot tell it is virtualized.
The apps use what a parallel library OS needs from its "hardware": HSM to
start harts, IPIs to wake sleeping barrier waiters, the timer, floating
point, lazily filled memory.
"""

import os

from lib import ROOT, boot, counters, make_bundle, vm_config
from test_splashos import APPS, result_line, run_app

SPLASH = os.path.join(ROOT, "build", "splashos")

# (machine nodes, machine harts, VM vCPUs)
SHAPES = [(1, 1, 1), (1, 4, 4), (2, 4, 2), (2, 4, 4)]

_bare = {}


def bare_checksum(app):
    """The checksum of a bare run on one hart (the reference)."""
    if app not in _bare:
        run = run_app(app, 1, 1)
        run.expect("splashos: exit 0")
        _bare[app] = result_line(run, app).group(3)
    return _bare[app]


def vm_test(app, nodes, cpus, vcpus):
    def test():
        bundle = make_bundle(f"splash-{app}-n{nodes}-v{vcpus}", vm_config(
            {"name": app, "vcpus": vcpus, "memory-mib": 64,
             "image": f"{app}.elf", "bootargs": f"threads={vcpus}"}),
            search=(SPLASH,))
        run = boot(cpus=cpus, nodes=nodes, bundle=bundle, timeout=90)
        run.expect_clean_exit()
        run.expect(f"[{app}] splashos: exit 0")
        m = run.match(rf"^\[{app}\] {app}: .*threads=(\d+) check=(\S+) "
                      rf"checksum=(0x[0-9a-f]+) time=\d+us$")
        if m.group(1) != str(vcpus) or m.group(2) != "ok":
            run.fail(f"threads={m.group(1)} check={m.group(2)}")
        want = bare_checksum(app)
        if m.group(3) != want:
            run.fail(f"checksum {m.group(3)} in the VM, {want} bare")
        if counters(run, app)["faults"] == 0:
            run.fail("no guest-page faults counted: was the memory filled lazily?")
    return test


TESTS = [(f"splashos-vm-{app}-n{n}-c{c}-v{v}", vm_test(app, n, c, v))
         for app in APPS for (n, c, v) in SHAPES]
