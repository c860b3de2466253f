"""tests/system/test_tools.py: the host tools a newcomer meets first.

`make qemu` on a machine without the toolchain must say which packages are
missing and, when it cannot install them itself (not root), print the
exact command to run, never fail with "command not found" halfway. We
simulate a bare machine by running tools/deps.sh with a PATH that holds
nothing but `id`.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from lib import ROOT, TestFailure

PACKAGES = ["gcc-riscv64-unknown-elf", "qemu-system-misc",
            "device-tree-compiler", "gdb-multiarch"]


def run_deps(mode, as_user=None):
    """Run tools/deps.sh `mode` on an empty PATH; return (status, output)."""
    with tempfile.TemporaryDirectory() as bare:
        os.chmod(bare, 0o755)
        os.symlink(shutil.which("id"), os.path.join(bare, "id"))
        # A copy in the temporary folder, so that another user can read it
        # even when the checkout itself is private.
        deps = os.path.join(bare, "deps.sh")
        shutil.copy(os.path.join(ROOT, "tools", "deps.sh"), deps)
        os.chmod(deps, 0o755)
        script = f"PATH={bare} /bin/sh {deps} {mode}"
        cmd = ["/bin/sh", "-c", script]
        if as_user is not None:
            cmd = ["su", as_user, "-s", "/bin/sh", "-c", script]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=30,
                           stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout + p.stderr


def test_deps_names_missing():
    """check mode lists every missing package and fails."""
    status, out = run_deps("check")
    if status == 0:
        raise TestFailure("deps.sh check passed with an empty PATH", out)
    for pkg in PACKAGES:
        if pkg not in out:
            raise TestFailure(f"deps.sh check did not name {pkg}", out)


def test_deps_not_root_prints_sudo():
    """install mode, not as root: print the sudo line, install nothing."""
    user = "nobody" if os.getuid() == 0 else None
    status, out = run_deps("install", as_user=user)
    if status == 0:
        raise TestFailure("deps.sh install 'succeeded' without installing", out)
    want = "sudo apt-get update && sudo apt-get install -y " + " ".join(PACKAGES)
    if want not in out:
        raise TestFailure(f"expected the line {want!r}", out)


def stylecheck(*files):
    """Run tools/stylecheck.py (make format-check); return (status, output)."""
    p = subprocess.run(["python3", os.path.join(ROOT, "tools", "stylecheck.py"), *files],
                       cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout + p.stderr


def test_style_tree():
    """make format-check: every C and assembly file of the tree keeps the
    layout rules (100 columns, no tabs, K&R braces)."""
    status, out = stylecheck()
    if status != 0:
        raise TestFailure("the tree breaks the style rules (make format-check)", out)


def test_style_catches():
    """The style check is not a rubber stamp: a file with a long line, a
    tab, a brace alone, an `else` below its `}` and a comment that starts
    like a handout's note (`// Lab 4: `, which the handout tests count as
    a cut region) gets one report each."""
    bad = ("int f(void)\n{\n\tif (1) {\n  }\n  else {\n  }\n"
           "  // Lab 4: a comment about lab 4\n"
           "  return 0; // " + "x" * 100 + "\n}\n")
    with tempfile.NamedTemporaryFile("w", suffix=".c", dir=ROOT, delete=False) as f:
        f.write(bad)
    try:
        status, out = stylecheck(os.path.relpath(f.name, ROOT))
    finally:
        os.unlink(f.name)
    for what in ("columns", "a tab", "a brace alone", "`else` below",
                 "starts like a handout's note"):
        if what not in out:
            raise TestFailure(f"the style check missed: {what}", out)
    if status == 0:
        raise TestFailure("the style check passed a bad file", out)


def test_qemurun_program_gone_before_keys():
    """tools/qemurun.py's runner, given keys to type at a program that
    exits as soon as its prompt is out: the run ends with the program's
    output and a line saying the keys were not all typed, instead of a
    BrokenPipeError out of the runner (seen once in a full run)."""
    import qemurun
    script = "echo 'prompt>'; exec 0<&-; sleep 0.3"
    r = qemurun.run(["/bin/sh", "-c", script], 10,
                    keys=[("prompt>", b"x" * 65536 + b"\n"), ("never", b"y\n")])
    if "prompt>" not in r.output or "exited before all keys were typed" not in r.output:
        raise TestFailure("the runner did not report the keys it could not type",
                          r.output)


def test_qemurun_stderr_apart():
    """tools/qemurun.py's runner keeps a program's stdout and stderr apart:
    a line written whole to stderr while a stdout line is half written (as
    the NUMA model's lines come while QEMU writes the console a byte at a
    time) does not cut that line; stderr follows stdout."""
    import qemurun
    script = "printf 'counters vm0: mig'; printf 'numa-model total: x=1\\n' >&2; " \
             "printf 'rated=5\\n'"
    r = qemurun.run(["/bin/sh", "-c", script], 10)
    if "counters vm0: migrated=5\n" not in r.output or \
            not r.output.endswith("numa-model total: x=1\n"):
        raise TestFailure("a stderr line cut a stdout line, or is not after it", r.output)


def test_vm_config_quotes():
    """vm_config writes a string property with its quotes and backslashes
    escaped, so a VM's boot arguments may hold a quoted command (dtc
    refused the configuration before)."""
    import qemurun
    dts = qemurun.vm_config({"name": "q", "bootargs": 'autorun="echo \\ hi"'})
    want = 'bootargs = "autorun=\\"echo \\\\ hi\\"";'
    if want not in dts:
        raise TestFailure(f"want {want!r} in the configuration", dts)
    p = subprocess.run(["dtc", "-I", "dts", "-O", "dtb", "-o", os.devnull],
                       input=dts, capture_output=True, text=True)
    if p.returncode != 0:
        raise TestFailure("dtc refused the configuration", dts + p.stderr)


def run_demo(script, *args):
    """Run a lecture demo's script (tools/), headless; its output. Fails
    if it does not exit with status 0."""
    cmd = [sys.executable, os.path.join(ROOT, "tools", script), *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                       stdin=subprocess.DEVNULL, cwd=ROOT)
    out = p.stdout + p.stderr
    if p.returncode != 0:
        raise TestFailure(f"{script} exited with status {p.returncode}", out)
    return out


def expect_demo(out, chart, wants):
    """The demo printed each of `wants`, and left a well-formed SVG chart
    with at least one line at `chart` (unless None)."""
    import xml.etree.ElementTree as ET
    for want in wants:
        if want not in out:
            raise TestFailure(f"expected {want!r} in the demo's output", out)
    if chart is None:
        return
    try:
        root = ET.parse(chart).getroot()
    except (OSError, ET.ParseError) as e:
        raise TestFailure(f"no well-formed chart at {chart}: {e}", out)
    line = next(root.iter("{http://www.w3.org/2000/svg}polyline"), None)
    if not root.tag.endswith("svg") or line is None:
        raise TestFailure("the chart has no lines", out)


def test_demo_sharing():
    """make demo-sharing's script, with 2 VMs and short waits: it runs to
    the VMs' power-off by itself, headless, prints its live lines from
    the monitor's memory reports (V above M once both VMs share the
    base image) and leaves a well-formed SVG chart where it says."""
    with tempfile.TemporaryDirectory() as tmp:
        chart = os.path.join(tmp, "sharing.svg")
        out = run_demo("demo_sharing.py", "--vms", "2", "--idle", "1", "--report-ms",
                       "200", "--files", "8", "--out", chart)
        rows = [line.split() for line in out.splitlines()
                if re.match(r"^ +\d+\.\d +\d", line)]
        if not any(float(r[1]) > float(r[2]) for r in rows):
            raise TestFailure("no live line with V > M", out)
        expect_demo(out, chart, ("vm vm0: stopped", "vm vm1: stopped", "chart: "))


def bench_call(call):
    """Run `call`, an expression on tools/bench.py's module (bench), in a
    process of its own; return (its value, read back through JSON, and
    what it printed). Not in this process: the system tests run in threads
    of one process, and a redirected sys.stdout would take in what the
    runner and the other tests print meanwhile (a test's FAIL line was
    lost that way, and the two bench tests read each other's tables)."""
    code = ("import json, sys; sys.path.insert(0, 'tools'); import bench; "
            f"r = bench.{call}; print('bench-result: ' + json.dumps(r))")
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                       text=True, timeout=1200, stdin=subprocess.DEVNULL)
    m = re.search(r"^bench-result: (.*)$", p.stdout, re.M)
    if p.returncode != 0 or m is None:
        raise TestFailure(f"bench.{call} failed", p.stdout + p.stderr)
    return json.loads(m.group(1)), p.stdout[:m.start()]


def test_bench_memory_table():
    """make bench --memory's table on a tiny configuration (1 and 2 VMs,
    pmake of 4 files): a row for bare and each VM count, V and M above 0,
    and two VMs take less machine memory than their guest pages add up to,
    and than twice one VM (they share). (One VM's M may top its V: the
    block cache also holds blocks it read and no longer maps.)"""
    rows, text = bench_call("memory_table(counts=(1, 2), files=4)")
    names = [r[0] for r in rows]
    if names != ["bare", "1 VM", "2 VMs"]:
        raise TestFailure(f"rows {names}, want bare, 1 VM, 2 VMs", text)
    if not all(r[2] > 0 and r[3] > 0 for r in rows[1:]) or not rows[2][3] < rows[2][2]:
        raise TestFailure(f"want V, M > 0 in every VM row, and M < V for 2 VMs: {rows}",
                          text)
    if not rows[2][3] < 2 * rows[1][3]:
        raise TestFailure(f"2 VMs' M {rows[2][3]:.1f} MiB is not below twice one VM's",
                          text)
    if "NO" in text or "M(2 VMs) / M(1 VM)" not in text:
        raise TestFailure("a wrong checksum, or no M ratio line", text)


def demo_numa(chart, *args):
    """Run make demo-numa's script on a small workload, its chart to
    `chart`; return (its output, its live lines split into columns). Fails
    unless hart 1's share of local misses climbs."""
    out = run_demo("demo_numa.py", *args, "--mrefs", "1", "--interval", "30",
                   "--out", chart)
    rows = [line.split() for line in out.splitlines()
            if re.match(r"^ +\d+\.\d +\d+ ", line)]
    hart1 = [float(r[3].rstrip("%")) for r in rows if r[3] != "-"]
    if len(hart1) < 2 or not hart1[-1] > hart1[0]:
        raise TestFailure(f"hart 1's local share did not climb: {hart1}", out)
    return out, rows


def test_demo_numa():
    """make demo-numa's script, on a small workload: it runs to the VM's
    power-off by itself, headless, prints live lines from the cost model's
    interval reports, where hart 1's share of local misses ends above where
    it starts (its pages reach node 1), and leaves a well-formed chart."""
    with tempfile.TemporaryDirectory() as tmp:
        chart = os.path.join(tmp, "numa.svg")
        out, _ = demo_numa(chart)
        expect_demo(out, chart, ("vm eng: stopped: shutdown", "counters eng: numa",
                                 "chart: "))


def test_demo_numa_rebalance():
    """make demo-numa DEMOARGS=--rebalance on a small workload: two VMs on
    node 0, one vCPU each; the live lines show one vCPU moved to node 1
    (vcpu-moves 1), pages migrated, and hart 1's share of local misses
    ending above where it started (the moved VM's pages follow it)."""
    with tempfile.TemporaryDirectory() as tmp:
        out, rows = demo_numa(os.path.join(tmp, "numa.svg"), "--rebalance")
    if rows[-1][7] != "1" or rows[-1][6] in ("-", "0"):
        raise TestFailure(f"last live line {rows[-1]}: want vcpu-moves 1 and pages "
                          "migrated", out)
    expect_demo(out, None, ("vm eng-a: stopped: shutdown", "vm eng-b: stopped: shutdown",
                            "1 vCPU moves"))


def test_bench_numa_table():
    """make bench --numa's table (Disco's figure 8) on the tiny size: every
    row there, each run finished under the cost model, and engineering's
    local share higher with the policy on than off. (Raytrace gets no
    such check: both nodes read its scene, at different times, which one
    hinting fault per page and scan does not see as sharing; see
    lab-guide/lab4.md.) No timing is checked."""
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import bench
    results, text = bench_call('numa_table("tiny")')
    for workload in ("engineering", "raytrace"):
        labels = [label for label, _ in results.get(workload, [])]
        if labels != [c[0] for c in bench.FIG8_CONFIGS]:
            raise TestFailure(f"{workload}: rows {labels}", text)
        for label, r in results[workload]:
            if not r["ok"] or r["share"] is None:
                raise TestFailure(f"{workload}, {label}: the run failed", text)
    rows = dict(results["engineering"])
    off, on = rows["NUMA, policy off"]["share"], rows["NUMA, migrate"]["share"]
    if not on > off:
        raise TestFailure(f"engineering: {on:.0f}% local with the policy on, {off:.0f}% "
                          "off", text)
    if "migr/s" not in text:
        raise TestFailure("no table of the policy's actions", text)


TESTS = [
    ("deps-names-missing", test_deps_names_missing),
    ("deps-not-root-prints-sudo", test_deps_not_root_prints_sudo),
    ("style-tree", test_style_tree),
    ("style-check-catches", test_style_catches),
    ("tools-qemurun-program-gone-before-keys", test_qemurun_program_gone_before_keys),
    ("tools-qemurun-stderr-apart", test_qemurun_stderr_apart),
    ("tools-vm-config-quotes", test_vm_config_quotes),
    ("tools-demo-sharing", test_demo_sharing),
    ("tools-bench-memory-table", test_bench_memory_table),
    ("tools-demo-numa", test_demo_numa),
    ("tools-demo-numa-rebalance", test_demo_numa_rebalance),
    ("tools-bench-numa-table", test_bench_numa_table),
]
