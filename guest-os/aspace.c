// guest-os/aspace.c: user address spaces (see guest-os/aspace.h).
#include "guest-os/aspace.h"
#include "guest-os/memlayout.h"
#include "guest-os/page.h"
#include "kernel/panic.h"
#include "kernel/string.h"

int as_create(struct aspace *as) {
  memset(as, 0, sizeof(*as));
  as->root = (pte_t *)page_alloc();
  if (as->root == NULL)
    return -1;
  // The kernel half: the same entries, so the same lower tables, as the
  // kernel's own root. Those never change after boot, so the copy never
  // goes stale.
  for (int i = 0; i < KERNEL_ROOT_ENTRIES; i++)
    as->root[i] = kernel_root[i];
  return 0;
}

// Free the user pages and tables below pte, an entry of a table at
// `level` (2 = root).
static void free_below(pte_t pte, int level) {
  if (!(pte & PTE_V))
    return;
  if (pte & PTE_LEAF) {
    // Only level-0 leaves exist in the user half (as_map_new makes them).
    if (level != 0)
      panic("free_below: a big leaf in a user address space");
    page_free(pte_pa(pte));
    return;
  }
  pte_t *table = (pte_t *)pte_pa(pte);
  for (int i = 0; i < PTES_PER_TABLE; i++)
    free_below(table[i], level - 1);
  page_free((uint64_t)table);
}

void as_destroy(struct aspace *as) {
  if (as->root == NULL)
    return;
  // Root entries below KERNEL_ROOT_ENTRIES are the kernel's: not ours.
  for (int i = KERNEL_ROOT_ENTRIES; i < PTES_PER_TABLE; i++)
    free_below(as->root[i], 2);
  page_free((uint64_t)as->root);
  as->root = NULL;
}

// Is [va, va + n) inside the user half (and not wrapping around)?
static bool in_user_half(uint64_t va, uint64_t n) {
  return va >= USER_BASE && va <= USER_TOP && n <= USER_TOP - va;
}

int as_map_new(struct aspace *as, uint64_t va, uint64_t len, uint64_t perm) {
  // Callers check user input before it gets here; a bad range is ours.
  if (va % PAGE_SIZE != 0 || !in_user_half(va, len))
    panic("as_map_new: bad range %p + %lu", (void *)va, len);
  for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
    // Each page on its own: user pages need not be contiguous in
    // physical memory, and page_alloc hands out single pages.
    uint64_t pa = page_alloc();
    if (pa == 0)
      return -1;
    // The map itself may need a table page, and fail for lack of one.
    if (sv39_map_page(as->root, va + off, pa, perm | PTE_U) < 0) {
      page_free(pa);
      return -1;
    }
  }
  return 0;
}

// Unmap and free the pages of [start, end) (page-aligned) that are
// mapped. Empty tables stay until as_destroy.
static void unmap_range(struct aspace *as, uint64_t start, uint64_t end) {
  for (uint64_t va = start; va < end; va += PAGE_SIZE) {
    pte_t *pte = sv39_walk(as->root, va, false);
    if (pte != NULL && (*pte & PTE_V)) {
      page_free(pte_pa(*pte));
      *pte = 0;
    }
  }
}

// Copy the user pages below one entry of src (at `level`, covering
// virtual addresses from va) into dst, page by page.
static int clone_below(struct aspace *dst, pte_t pte, int level, uint64_t va) {
  if (!(pte & PTE_V))
    return 0;
  if (pte & PTE_LEAF) {
    // A private copy for the child, now: no copy-on-write (yet), so fork
    // costs a page copy per page, but nothing is ever shared by accident.
    uint64_t pa = page_alloc();
    if (pa == 0)
      return -1;
    page_copy((void *)pa, (void *)pte_pa(pte));
    uint64_t perm = pte & (PTE_R | PTE_W | PTE_X | PTE_U);
    if (sv39_map_page(dst->root, va, pa, perm) < 0) {
      page_free(pa);
      return -1;
    }
    return 0;
  }
  pte_t *table = (pte_t *)pte_pa(pte);
  uint64_t span = PAGE_SIZE << (9 * (level - 1));   // what one entry covers
  for (int i = 0; i < PTES_PER_TABLE; i++)
    if (clone_below(dst, table[i], level - 1, va + i * span) < 0)
      return -1;
  return 0;
}

int as_clone(struct aspace *dst, const struct aspace *src) {
  uint64_t span = PAGE_SIZE << 18;                  // 1 GiB per root entry
  for (int i = KERNEL_ROOT_ENTRIES; i < PTES_PER_TABLE; i++)
    if (clone_below(dst, src->root[i], 2, i * span) < 0)
      return -1;
  dst->heap_base = src->heap_base;
  dst->brk = src->brk;
  return 0;
}

int64_t as_sbrk(struct aspace *as, int64_t delta) {
  // The break is a byte address; pages are mapped up to the page that
  // holds its last byte, so old_top/new_top below are what changes.
  uint64_t old = as->brk;
  uint64_t new = old + (uint64_t)delta;
  // Reject wrap-around both ways, and breaks outside the heap's room.
  if ((delta > 0 && new < old) || (delta < 0 && new > old) ||
      new < as->heap_base || new > USER_TOP)
    return -1;
  uint64_t old_top = ALIGN_UP(old, PAGE_SIZE), new_top = ALIGN_UP(new, PAGE_SIZE);
  if (new_top > old_top) {
    if (as_map_new(as, old_top, new_top - old_top, PTE_R | PTE_W) < 0) {
      unmap_range(as, old_top, new_top);     // undo the part that worked
      return -1;
    }
  } else if (new_top < old_top) {
    unmap_range(as, new_top, old_top);
    // This hart may still cache translations to the pages just freed.
    // No other hart can: only this one runs the process now, and every
    // hart flushes when it switches page tables (sv39_switch).
    asm volatile("sfence.vma zero, zero" ::: "memory");
  }
  as->brk = new;
  return (int64_t)old;
}

// The kernel address of user address uva, if user mode could access it
// with the permission `need` (PTE_R, PTE_W, or 0: mapped at all); else 0.
static uint64_t user_to_kernel(struct aspace *as, uint64_t uva, uint64_t need) {
  // A kernel-half address would walk the kernel's tables, whose leaves
  // lack U anyway; refusing it here says so plainly.
  if (!in_user_half(uva, 1))
    return 0;
  // The same test the hardware makes for a user access (spec 4.3.2):
  // valid, user, and the permission asked for.
  pte_t *pte = sv39_walk(as->root, uva, false);
  if (pte == NULL || (*pte & (PTE_V | PTE_U | need)) != (PTE_V | PTE_U | need))
    return 0;
  return pte_pa(*pte) + uva % PAGE_SIZE;
}

// Copy n bytes between kernel buffer kbuf and user address uva, a page
// at a time (consecutive user pages need not be consecutive in physical
// memory). to_user picks the direction; need is the PTE permission each
// user page must have (PTE_R, PTE_W, or 0 for none beyond V and U).
static int copy_user(struct aspace *as, uint64_t uva, void *kbuf, uint64_t n,
                     bool to_user, uint64_t need) {
  uint8_t *k = kbuf;
  while (n > 0) {
    uint64_t pa = user_to_kernel(as, uva, need);
    if (pa == 0)
      return -1;
    uint64_t chunk = PAGE_SIZE - uva % PAGE_SIZE;
    if (chunk > n)
      chunk = n;
    if (to_user)
      memcpy((void *)pa, k, chunk);
    else
      memcpy(k, (void *)pa, chunk);
    uva += chunk, k += chunk, n -= chunk;
  }
  return 0;
}

int copy_to_user(struct aspace *as, uint64_t uva, const void *src, uint64_t n) {
  return copy_user(as, uva, (void *)src, n, true, PTE_W);
}

int copy_from_user(struct aspace *as, void *dst, uint64_t uva, uint64_t n) {
  return copy_user(as, uva, dst, n, false, PTE_R);
}

int as_write(struct aspace *as, uint64_t uva, const void *src, uint64_t n) {
  return copy_user(as, uva, (void *)src, n, true, 0);
}

void *as_page(struct aspace *as, uint64_t uva) {
  if (uva % PAGE_SIZE != 0)
    return NULL;
  return (void *)user_to_kernel(as, uva, 0);
}

int copy_string_from_user(struct aspace *as, char *dst, uint64_t uva,
                          uint64_t max) {
  // Byte by byte: the string may end on any page, and the page after
  // its NUL may not exist.
  for (uint64_t i = 0; i < max; i++) {
    uint64_t pa = user_to_kernel(as, uva + i, PTE_R);
    if (pa == 0)
      return -1;
    dst[i] = *(char *)pa;
    if (dst[i] == 0)
      return (int)i;
  }
  return -1;
}

bool user_range_ok(struct aspace *as, uint64_t uva, uint64_t n, bool write) {
  if (!in_user_half(uva, n))
    return false;
  // One check per page is enough: permissions are per page.
  for (uint64_t va = ALIGN_DOWN(uva, PAGE_SIZE); va < uva + n; va += PAGE_SIZE)
    if (user_to_kernel(as, va, write ? PTE_W : PTE_R) == 0)
      return false;
  return true;
}
