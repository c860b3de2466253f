// hyp/dev/conskeys.h: the console's input side: which VM gets the keys, and
// the escape key that talks to the monitor instead.
//
// Keys typed on the console go to the VM that has the focus (its UART's
// receive buffer, which the SBI console calls read too). Ctrl-E starts a
// command for the monitor:
//
//   Ctrl-E n   give the focus to the next VM
//   Ctrl-E l   list the VMs
//   Ctrl-E c   print every VM's counters
//   Ctrl-E m   print machine memory per node
//   Ctrl-E h   help
//   Ctrl-E Ctrl-E   send one Ctrl-E to the VM
#ifndef HYP_CONSKEYS_H
#define HYP_CONSKEYS_H

#define CONSKEYS_ESCAPE 0x05      // Ctrl-E

// Say which VM has the focus and how to get help (once, at start).
void conskeys_init(void);

// Read every key waiting on the console and act on it. Called by the boot
// hart's scheduler loop (hyp/cpu/sched.c), the one hart that reads the console.
void conskeys_poll(void);

// How often the boot hart polls when it has nothing else to do, in
// milliseconds.
#define CONSKEYS_POLL_MS 20

#endif
