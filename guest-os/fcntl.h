// guest-os/fcntl.h: the flags of open(), shared by the kernel
// (guest-os/sysfile.c) and user programs (guest-os/user/ulib.h).
//
// The low two bits say how the file may be used; the others ask for
// more. Any other bit makes open() fail.
#ifndef GUEST_OS_FCNTL_H
#define GUEST_OS_FCNTL_H

#define O_RDONLY  0x000      // read only
#define O_WRONLY  0x001      // write only
#define O_RDWR    0x002      // both
#define O_ACCMODE 0x003      // the two bits above
#define O_CREATE  0x100      // make the file if it does not exist
#define O_TRUNC   0x200      // make it empty (needs write access)

#endif
