// guest-os/balloc.c: allocating disk blocks (see guest-os/balloc.h).
//
// The free bitmap has a bit per block of the file system, 1 = in use
// (guest-os/fs_format.h). Block b's bit is bit b % 8 of byte
// (b % FS_BITS_PER_BLOCK) / 8 of bitmap block sb.bitmap_start +
// b / FS_BITS_PER_BLOCK. The
// bitmap block's buffer lock makes "find a 0 bit and set it" atomic
// among processes; the log makes it atomic with the rest of the
// transaction that wanted the block.
#include "guest-os/balloc.h"
#include "guest-os/bcache.h"
#include "guest-os/fs.h"
#include "guest-os/log.h"
#include "kernel/panic.h"

// The bitmap block that holds block b's bit.
static uint32_t bitmap_block(uint32_t b) {
  return sb.bitmap_start + b / FS_BITS_PER_BLOCK;
}

uint32_t block_alloc(void) {
  for (uint32_t first = 0; first < sb.nblocks; first += FS_BITS_PER_BLOCK) {
    struct buf *bm = bread(bitmap_block(first));
    for (uint32_t bit = 0; bit < FS_BITS_PER_BLOCK && first + bit < sb.nblocks;
         bit++) {
      uint8_t *byte = &bm->data[bit / 8];
      if (*byte == 0xff) {                // all eight in use: skip them
        bit |= 7;
        continue;
      }
      uint8_t mask = (uint8_t)(1 << (bit % 8));
      if (*byte & mask)
        continue;
      *byte |= mask;
      txn_log(bm);
      brelse(bm);
      // Zero it, so that no file ever shows another's old bytes.
      struct buf *b = bread_zeroed(first + bit);
      txn_log(b);
      brelse(b);
      return first + bit;
    }
    brelse(bm);
  }
  return 0;
}

void block_free(uint32_t b) {
  if (b < sb.data_start || b >= sb.nblocks)
    panic("block_free: block %u is not a data block", b);
  struct buf *bm = bread(bitmap_block(b));
  uint32_t bit = b % FS_BITS_PER_BLOCK;
  uint8_t mask = (uint8_t)(1 << (bit % 8));
  if ((bm->data[bit / 8] & mask) == 0)
    panic("block_free: block %u is free already", b);
  bm->data[bit / 8] &= (uint8_t)~mask;
  txn_log(bm);
  brelse(bm);
}

uint32_t blocks_free(void) {
  uint32_t n = 0;
  for (uint32_t first = 0; first < sb.nblocks; first += FS_BITS_PER_BLOCK) {
    struct buf *bm = bread(bitmap_block(first));
    for (uint32_t bit = 0; bit < FS_BITS_PER_BLOCK && first + bit < sb.nblocks;
         bit++)
      n += (bm->data[bit / 8] >> (bit % 8) & 1) == 0;
    brelse(bm);
  }
  return n;
}
