// guest-os/exec.h: start a program in a process.
#ifndef GUEST_OS_EXEC_H
#define GUEST_OS_EXEC_H

struct proc;

// Replace p's program with the ELF file `path` (a name without a '/' is
// looked up in /bin; with no file system, among the built-in programs,
// guest-os/programs.h), called with the NULL-terminated argument list
// argv (kernel strings, at most MAX_ARGS). Builds the whole new address
// space first, so that on failure (-1: no such program, a directory, a
// bad ELF file, too many or too long arguments, out of memory) p is
// unchanged. p is the calling process (the file is read in its name). On success
// p's old address space is freed, its registers are set to start the
// program as main(argc, argv), and the result is argc, which the exec
// system call returns into a0.
int exec_program(struct proc *p, const char *path, char *const argv[]);

#endif
