"""tests/system/test_tools.py: the host tools a newcomer meets first.

`make qemu` on a machine without the toolchain must say which packages are
missing and, when it cannot install them itself (not root), print the
exact command to run, never fail with "command not found" halfway. We
simulate a bare machine by running tools/deps.sh with a PATH that holds
nothing but `id`.
"""

import os
import shutil
import subprocess
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
    tab, a brace alone and an `else` below its `}` gets one report each."""
    bad = ("int f(void)\n{\n\tif (1) {\n  }\n  else {\n  }\n"
           "  return 0; // " + "x" * 100 + "\n}\n")
    with tempfile.NamedTemporaryFile("w", suffix=".c", dir=ROOT, delete=False) as f:
        f.write(bad)
    try:
        status, out = stylecheck(os.path.relpath(f.name, ROOT))
    finally:
        os.unlink(f.name)
    for what in ("columns", "a tab", "a brace alone", "`else` below"):
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


TESTS = [
    ("deps-names-missing", test_deps_names_missing),
    ("deps-not-root-prints-sudo", test_deps_not_root_prints_sudo),
    ("style-tree", test_style_tree),
    ("style-check-catches", test_style_catches),
    ("tools-qemurun-program-gone-before-keys", test_qemurun_program_gone_before_keys),
    ("tools-vm-config-quotes", test_vm_config_quotes),
]
