"""tools/holdkeys.py: run QEMU at a terminal without losing the first key.

Keys typed before QEMU starts (while `make qemu` is still building, say)
wait in the terminal, and QEMU hands the first of them to the machine's
UART at once, before any code runs. OpenSBI's UART set-up then throws it
away (it enables the FIFO, which on QEMU's 16550 empties it, and reads
the receive register "to clear it"), so `ls` typed early reached the
guest's shell as `s` (issue 10, finding 9). Keys typed after OpenSBI has
set its UART up wait in the FIFO, and then in the monitor's per-VM buffer,
until a guest reads them.

So run_holding_keys() puts QEMU on a pseudo-terminal of its own and
copies between it and the real one, but holds every key typed until
OpenSBI's banner has come out: OpenSBI prints it only once its console
(that UART) is set up. Then the held keys go in, in order. (With another
firmware, which prints no such banner, they go in 2 s after QEMU's first
output.)
QEMU sees a terminal as before (Ctrl-A x, Ctrl-C work as they do), and
its exit status is ours.
"""

import fcntl
import os
import pty
import select
import subprocess
import termios
import time
import tty

# What OpenSBI prints first, once its console is set up.
FIRMWARE_READY = b"OpenSBI v"


def _own_terminal():
    """In QEMU's child, before exec, once the pseudo-terminal is its fd 0:
    make it the child's controlling terminal, as a shell would, so that
    Ctrl-C reaches QEMU as it did."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def run_holding_keys(cmd):
    """Run cmd (QEMU) on a pseudo-terminal between it and our terminal
    (stdin must be one), holding typed keys until its first output byte.
    Returns its exit status."""
    master, slave = pty.openpty()
    # The pseudo-terminal starts in our terminal's modes; QEMU puts it in
    # raw mode itself, as it would ours.
    termios.tcsetattr(slave, termios.TCSANOW, termios.tcgetattr(0))
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave,
                            preexec_fn=_own_terminal)
    os.close(slave)
    saved = termios.tcgetattr(0)
    # Raw, so that every key (Ctrl-A, Ctrl-C too) goes to QEMU as a byte;
    # TCSANOW, so that keys typed already are kept, not flushed.
    tty.setraw(0, termios.TCSANOW)
    held, seen, inputs = b"", b"", [0, master]
    started, deadline = False, None
    try:
        while True:
            wait = None if deadline is None else max(0, deadline - time.monotonic())
            ready, _, _ = select.select(inputs, [], [], wait)
            if master in ready:
                try:
                    out = os.read(master, 4096)
                except OSError:             # EIO: QEMU has closed it
                    out = b""
                if not out:
                    break
                os.write(1, out)
                if not started:
                    seen += out
                    if deadline is None:
                        deadline = time.monotonic() + 2
            if not started and (FIRMWARE_READY in seen or
                                (deadline is not None and time.monotonic() >= deadline)):
                started, deadline = True, None
                os.write(master, held)
            if 0 in ready:
                keys = os.read(0, 4096)
                if not keys:
                    inputs = [master]       # our terminal is gone
                elif started:
                    os.write(master, keys)
                else:
                    held += keys
    finally:
        termios.tcsetattr(0, termios.TCSANOW, saved)
        os.close(master)
    return proc.wait()
