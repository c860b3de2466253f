// hyp/dev/vline.h: a guest's console line, as the monitor collects it.
//
// What a VM writes to its console (UART or SBI) is printed a line at a
// time with the VM's name in front, "[os0] $ ls" (hyp/dev/vconsole.c).
// The bytes are the guest's, and a guest is not trusted: if its control
// bytes reached the terminal, ESC [ 2K (erase the line) and ESC [ 1G (to
// column 1), or a lone carriage return, would wipe out "[os0] " and let
// the guest print a line that passes for the monitor's, say "vm victim:
// stopped: ..." or "panic: ...". So no control byte goes out as it is:
//
//   byte                       on the line
//   \n                         ends it
//   \t                         kept (it only moves the cursor right)
//   \b                         takes the last byte off the line, as the
//                              "\b \b" echo of a line editor would; the
//                              prefix is not on the line, so it stays
//   \r                         dropped: "\r\n" ends a line as "\n" does,
//                              and a lone CR cannot go back over the prefix
//   other C0 bytes, DEL        caret notation: ESC is ^[, Ctrl-A ^A, DEL ^?
//   C1 controls (U+0080..      ^[ and the letter they stand for: in ECMA-48
//   U+009F, as UTF-8 C2 xx,    (5.3) C1 control 0x80 + x is ESC followed by
//   or as a lone byte)         0x40 + x, so CSI (0x9B) shows as ^[[
//
// Everything else (printable ASCII, UTF-8) is kept as it is. What is left
// can move the cursor only to the right, and only on its own line.
#ifndef HYP_DEV_VLINE_H
#define HYP_DEV_VLINE_H

#include "kernel/types.h"

// What vline_add did.
enum vline_result {
  VLINE_SAME,      // the line is as it was (a CR, or a backspace at its start)
  VLINE_CHANGED,   // the line changed
  VLINE_END,       // the byte ends the line: print it, then empty it
  VLINE_FULL,      // what the byte adds does not fit: print the line as it
                   // is, empty it, then add the byte again
};

// Add byte c, written by a guest, to its unfinished line: line holds *len
// bytes, room for max (at least 4). Pure: no locks, no output.
enum vline_result vline_add(char *line, int *len, int max, uint8_t c);

#endif
