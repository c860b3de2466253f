// guest-os/log.h: transactions: changes to the file system that survive a
// crash whole or not at all.
//
// Every system call that changes the file system does so between
// txn_begin() and txn_end(); each block it changes it hands to txn_log()
// (instead of writing it) while it still holds the block's buffer. The
// changes reach the disk together, at txn_end(), through the log on the
// disk (guest-os/fs_format.h draws it; guest-os/log.c says why it is
// crash-safe). Operations that only read may run outside transactions,
// but anything that may drop the last reference to an inode (iput, which
// then frees it) must run inside one.
#ifndef GUEST_OS_LOG_H
#define GUEST_OS_LOG_H

#include "guest-os/fs_format.h"

struct buf;

// Take over the log that the superblock sb describes: if the last boot
// crashed after committing a transaction and before installing it all,
// install it now (replay). 0, or -1 when the log header makes no sense
// (printed; the file system is then not used).
int log_init(const struct fs_super *sb);

// Start a transaction, after waiting until the log has room for it:
// TXN_MAX_BLOCKS blocks (guest-os/param.h), the most one transaction may
// change. Only processes may call it; transactions may not nest.
void txn_begin(void);

// End the calling process's transaction. The last one to end of a group
// of concurrent transactions commits them all (group commit); that
// caller returns once the group is on the disk for good.
void txn_end(void);

// Note that b's data has changed and must be written with the current
// transaction. The caller holds b's lock. b stays in the cache (pinned)
// until installed; a block changed twice is logged once ("absorbed").
void txn_log(struct buf *b);

#endif
