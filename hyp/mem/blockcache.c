// hyp/mem/blockcache.c: the disk-block cache (see hyp/mem/blockcache.h).
//
// The index, sorted by block number:
//
//   table[0]        table[1]        ...   table[count - 1]
//   {block 12, pa}  {block 13, pa}  ...   {block 2047, pa}
//
// find() bisects it; insert and remove shift the entries above. The clock
// hand for eviction is an index into it that wraps around.
#include "hyp/mem/blockcache.h"
#include "hyp/mem/memmap.h"
#include "hyp/param.h"
#include "kernel/printf.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"

struct cached {
  uint64_t block;
  uint64_t pa;
};

static struct spinlock blockcache_lock = SPINLOCK_INIT("blockcache");
static struct cached table[BLOCKCACHE_MAX];
static int count;
static int hand;                    // where the next eviction pass starts
static uint64_t zero_page[MAX_NODES];   // each node's, made on first use
static struct blockcache_stats st;  // lookups .. forgotten

// The first index whose block is >= block (count if none). Caller holds
// blockcache_lock.
static int find(uint64_t block) {
  int lo = 0, hi = count;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (table[mid].block < block)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

// Remove entry i (its page reference is the caller's to drop).
static void remove_at(int i) {
  memmove(&table[i], &table[i + 1], (size_t)(count - i - 1) * sizeof(table[0]));
  count--;
}

// Is the page of entry i held by the index alone? Under blockcache_lock no
// one can take a new reference on it (only blockcache_get hands them out),
// so the answer cannot change to "no" behind us.
static bool unmapped(int i) {
  struct memmap_entry *e = memmap_lookup(table[i].pa);
  return __atomic_load_n(&e->refcount, __ATOMIC_ACQUIRE) == 1;
}

// Evict up to `want` entries no VM maps, sweeping from the clock hand.
// Returns how many pages it freed. Caller holds blockcache_lock.
static uint64_t evict(int want) {
  uint64_t freed = 0;
  int entries = count;              // each looked at once, removed or not
  for (int seen = 0; seen < entries && freed < (uint64_t)want; seen++) {
    if (hand >= count)
      hand = 0;
    if (unmapped(hand)) {
      uint64_t pa = table[hand].pa;
      remove_at(hand);              // the next entry slides under the hand
      memmap_free(pa);
      freed++;
    } else {
      hand++;
    }
  }
  st.evicted += freed;
  return freed;
}

uint64_t blockcache_get(uint64_t block) {
  acquire(&blockcache_lock);
  st.lookups++;
  int i = find(block);
  uint64_t pa = 0;
  if (i < count && table[i].block == block) {
    pa = table[i].pa;
    memmap_ref(pa);
    st.hits++;
  }
  release(&blockcache_lock);
  return pa;
}

// Is memory on `node` short: at most the slack of unreserved pages left?
static bool short_of_memory(int node) {
  return memmap_stats(node).unreserved <= BLOCKCACHE_SLACK;
}

uint64_t blockcache_alloc(int node) {
  acquire(&blockcache_lock);
  if (short_of_memory(node))
    evict(BLOCKCACHE_EVICT);
  uint64_t pa = short_of_memory(node) ? 0 : memmap_alloc(node, OWNER_SHARED);
  release(&blockcache_lock);
  return pa;
}

uint64_t blockcache_insert(uint64_t block, uint64_t pa) {
  acquire(&blockcache_lock);
  st.fills++;
  int i = find(block);
  if (i < count && table[i].block == block) {
    // Another VM read the same block meanwhile: use its page.
    uint64_t had = table[i].pa;
    memmap_ref(had);
    release(&blockcache_lock);
    memmap_free(pa);
    return had;
  }
  if (count == BLOCKCACHE_MAX && evict(BLOCKCACHE_EVICT) > 0)
    i = find(block);                // entries moved
  if (count == BLOCKCACHE_MAX) {
    // Full of mapped blocks: the page is shared by no one else, and is
    // not indexed; it lives as long as the caller's mapping.
    release(&blockcache_lock);
    return pa;
  }
  memmove(&table[i + 1], &table[i], (size_t)(count - i) * sizeof(table[0]));
  table[i].block = block;
  table[i].pa = pa;
  count++;
  memmap_ref(pa);                   // one for the index, one for the caller
  release(&blockcache_lock);
  return pa;
}

void blockcache_forget(uint64_t first, uint64_t n) {
  if (n == 0)
    return;
  uint64_t from = first / BLOCK_SECTORS, to = (first + n - 1) / BLOCK_SECTORS;
  acquire(&blockcache_lock);
  int i = find(from);
  while (i < count && table[i].block <= to) {
    uint64_t pa = table[i].pa;
    remove_at(i);
    memmap_free(pa);                // the index's reference
    st.forgotten++;
  }
  release(&blockcache_lock);
}

uint64_t blockcache_image_page(const void *bytes, int node) {
  uint64_t key = BLOCKCACHE_IMAGE | (uint64_t)node << BLOCKCACHE_NODE_SHIFT |
                 (uint64_t)bytes;
  uint64_t pa = blockcache_get(key);
  if (pa != 0)
    return pa;
  pa = blockcache_alloc(node);
  if (pa == 0)
    return 0;
  memcpy((void *)pa, bytes, PAGE_SIZE);
  return blockcache_insert(key, pa);
}

uint64_t blockcache_zero_page(int node) {
  acquire(&blockcache_lock);
  if (zero_page[node] == 0) {
    zero_page[node] = memmap_alloc(node, OWNER_SHARED);   // kept for good
    if (zero_page[node] != 0)
      memset((void *)zero_page[node], 0, PAGE_SIZE);
  }
  uint64_t pa = zero_page[node];
  if (pa != 0)
    memmap_ref(pa);
  release(&blockcache_lock);
  return pa;
}

uint64_t blockcache_shrink(void) {
  acquire(&blockcache_lock);
  uint64_t freed = evict(BLOCKCACHE_MAX);
  release(&blockcache_lock);
  return freed;
}

struct blockcache_stats blockcache_stats(void) {
  acquire(&blockcache_lock);
  struct blockcache_stats s = st;
  s.blocks = (uint64_t)count;
  s.mapped = s.mappings = s.disk_mappings = s.image_mappings = s.zero_mappings = 0;
  for (int i = 0; i < count; i++) {
    uint32_t refs = __atomic_load_n(&memmap_lookup(table[i].pa)->refcount,
                                    __ATOMIC_ACQUIRE);
    if (refs > 1) {
      s.mapped++;
      s.mappings += refs - 1;
      if (table[i].block & BLOCKCACHE_IMAGE)
        s.image_mappings += refs - 1;
      else
        s.disk_mappings += refs - 1;
    }
  }
  for (int n = 0; n < MAX_NODES; n++)
    if (zero_page[n] != 0)
      s.zero_mappings += memmap_lookup(zero_page[n])->refcount - 1;
  release(&blockcache_lock);
  return s;
}

void blockcache_print(void) {
  struct blockcache_stats s = blockcache_stats();
  printf("counters machine: sharing blocks=%lu blocks-mapped=%lu mappings=%lu "
         "lookups=%lu hits=%lu fills=%lu evicted=%lu forgotten=%lu "
         "disk-mappings=%lu image-mappings=%lu zero-mappings=%lu\n",
         s.blocks, s.mapped, s.mappings, s.lookups, s.hits, s.fills, s.evicted,
         s.forgotten, s.disk_mappings, s.image_mappings, s.zero_mappings);
}
