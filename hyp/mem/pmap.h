// hyp/mem/pmap.h: a VM's physical memory: the pmap and the G-stage table.
//
// A guest believes it owns physical memory from 0x80000000 up. It does
// not: each of its "physical" pages (guest-physical, gpa) is backed by
// some machine page (pa) that the monitor picked. Disco keeps that
// correspondence in a per-VM *pmap* (Disco 4.2.2 "Virtual Physical
// Memory"), and loads translations from it into the MIPS TLB on every
// miss. RISC-V's H-extension gives us a second hardware translation stage
// instead (privileged spec 8.5, "Two-Stage Address Translation"):
//
//    guest virtual --(guest's own satp, VS-stage)--> guest physical
//    guest physical --(monitor's hgatp, G-stage)--> machine physical
//
// We keep both: the pmap (an array, gpa page number -> machine page) is the
// monitor's truth, and the G-stage table is built from it, lazily, one page
// at a time, when the guest first touches a page and takes a guest-page
// fault (scause 20, 21 or 23). The G-stage table thus plays the part of
// Disco's TLB: a cache of the pmap, which is why lab 2 has to shoot it
// down when the pmap changes.
#ifndef HYP_PMAP_H
#define HYP_PMAP_H

#include "hyp/mem/numa.h"
#include "hyp/mem/tlb.h"
#include "hyp/param.h"
#include "kernel/spinlock.h"
#include "kernel/types.h"

// The permission bits of a G-stage mapping (the PTE's R, W and X bits).
#define PMAP_R (1UL << 1)
#define PMAP_W (1UL << 2)
#define PMAP_X (1UL << 3)
#define PMAP_RWX (PMAP_R | PMAP_W | PMAP_X)

struct pmap {
  uint64_t root;            // machine address of the 16 KiB Sv39x4 root
  uint64_t ram_base;        // guest RAM: [ram_base, ram_base + ram_size)
  uint64_t ram_size;
  uint64_t *map;            // map[i]: machine page behind guest page
                            //   ram_base + i * PAGE_SIZE, or 0 if none yet
  uint64_t map_pages;       // machine pages that hold map[]
  uint16_t owner;           // the VM's id (memmap owner and backmaps)
  int node;                 // the node its tables (and pages) come from
  int span;                 // >1: guest RAM is cut in `span` equal chunks,
                            //   chunk k backed by node k (pmap_span)
  struct spinlock lock;     // protects all of the above and the table
  struct spinlock move_lock;  // one change of an existing mapping at a time
                            //   (pmap_remove/protect/move_page), and no pin
                            //   (pmap_pin) during one: held across the
                            //   shootdown; taken before `lock`, never after
  struct tlb_space tlb;     // VMID, who may cache it (hyp/mem/tlb.h)
  struct numa_state numa;   // lab 4's hot-page policy (hyp/mem/numa.h)
  // Lab 4's replication: when the VM replicates pages, the vCPUs on node n
  // use node_tables[n]'s G-stage table instead of `root`: a copy of it
  // filled on demand (pmap_node_fault), in which a replicated page maps
  // node n's copy. Only their root and table pages are used (pmap_walk
  // works on them); under `lock`, like the rest.
  struct pmap *node_tables[MAX_NODES];
  uint64_t replicas;        // replicas made (pmap_replicate)
  uint64_t collapses;       // replicated pages made writable again

  // Counters (under `lock`; printed with the VM's counters).
  uint64_t table_pages;     // G-stage table pages, root included
  uint64_t mapped[MAX_NODES];  // guest pages backed on each node
  uint64_t faults;          // guest-page faults that filled a page
  uint64_t shared;          // guest pages mapped to a shared page now (lab 3)
  uint64_t shares;          // pmap_share calls that mapped one
  uint64_t cow_breaks;      // private copies made of shared pages (pmap_cow)
};

// Set up an empty pmap for VM `owner` with guest RAM [ram_base,
// ram_base + ram_size), its pages and tables on `node`. Returns 0, or -1
// when memory is short (nothing is left allocated then).
int pmap_init(struct pmap *pm, uint16_t owner, int node, uint64_t ram_base,
              uint64_t ram_size);

// The most machine pages a pmap of ram_size bytes of guest RAM at
// ram_base, its tables on `node` (its RAM spread over the first `span`
// nodes if span > 1, see pmap_span), whose VM has nvcpus vCPUs, can ever
// hold, per node: its guest pages, its G-stage table, its map. What the
// VM reserves at admission (hyp/vm/vm.c); the back-mapping records are
// counted apart (backmap_pages_for).
void pmap_max_pages(uint64_t ram_base, uint64_t ram_size, int node, int span,
                    int nvcpus, uint64_t pages[MAX_NODES]);

// Spread the VM's RAM over the first n nodes: chunk k of its RAM (in n
// equal chunks) gets its pages from node k, so the guest sees n NUMA nodes
// (hyp/vm/vm_fdt.c describes them). Call right after pmap_init.
void pmap_span(struct pmap *pm, int n);

// The node a guest page at gpa is backed from when it is first touched.
int pmap_page_node(struct pmap *pm, uint64_t gpa);

// The value for hgatp that makes this pmap's G-stage table current for a
// hart on `node`, with VMID vmid (privileged spec 8.2.10): MODE = Sv39x4
// (8), VMID, root PPN; the root is the node's table when it has one (lab
// 4). All tables of a VM share its VMID: a hart only ever uses its own
// node's, so no hart can mix two tables' entries.
uint64_t pmap_hgatp(struct pmap *pm, uint16_t vmid, int node);

// Is gpa inside the VM's RAM?
bool pmap_is_ram(struct pmap *pm, uint64_t gpa);

// The machine address that backs guest-physical address gpa (offset
// within the page kept), or 0 when the page has no backing yet or gpa is
// not RAM. Does not allocate.
uint64_t pmap_lookup(struct pmap *pm, uint64_t gpa);

// A guest-page fault at gpa (which must be RAM). If the page has no
// machine page yet, give it one (zeroed, on pmap_page_node(pm, gpa)) and
// map it in the G-stage table with all permissions. If it has one, map
// nothing (another vCPU filled it first, or pmap_move_page has it
// unmapped for a moment): the guest retries the access. Either way, fence
// gpa on this hart. Returns 0, or -1 when out of memory.
int pmap_fault(struct pmap *pm, uint64_t gpa);

// Back guest page gpa with machine page pa (already allocated, its
// reference counted by the caller) and map it in the G-stage table with
// permissions perm (PMAP_*). Records the back-mapping. Returns 0, or -1
// when out of memory.
int pmap_enter(struct pmap *pm, uint64_t gpa, uint64_t pa, uint64_t perm);

// Remove the mapping of guest page gpa, with a shootdown (hyp/mem/tlb.h):
// when this returns no hart can reach the old machine page through pm.
// Returns that page, which the caller now holds (to free or reuse), or 0
// if gpa had none.
uint64_t pmap_remove(struct pmap *pm, uint64_t gpa);

// The same, but only if gpa still maps machine page pa: returns pa when
// it removed that mapping, 0 when gpa maps another page or none (another
// hart changed it first; whoever did holds that mapping's reference).
uint64_t pmap_remove_page(struct pmap *pm, uint64_t gpa, uint64_t pa);

// Change the permissions of gpa's mapping to perm (PMAP_*), with a
// shootdown when that takes a permission away. Returns 0, or -1 if gpa has
// no mapping.
int pmap_protect(struct pmap *pm, uint64_t gpa, uint64_t perm);

// ---- Sharing (lab 3, Disco 4.2.5) ----
// A shared page is a page of OWNER_SHARED (hyp/mem/blockcache.h): a disk
// block's one copy, or the zero page. It is mapped read-only (R and X)
// wherever it is mapped, and never written in place.

// Map shared page pa at guest page gpa, read-only, in place of whatever
// gpa held (that page's reference is dropped; a mapping other harts may
// hold is shot down first). The caller's reference on pa becomes the
// mapping's. As if the guest's page had been overwritten with pa's
// contents. Returns 0; or -1 in lab 3's handout, until it is written: it
// maps nothing, the reference stays the caller's, and the caller copies.
int pmap_share(struct pmap *pm, uint64_t gpa, uint64_t pa);

// Copy on write: if gpa is mapped to a shared page, give it a private
// copy (on pmap_page_node), mapped with all permissions, with the
// read-only mapping shot down first. Returns 1 when it made the copy,
// 0 when gpa is not mapped to a shared page (nothing to do: the fault is
// pmap_fault's), -1 when out of memory.
int pmap_cow(struct pmap *pm, uint64_t gpa);

// Move guest page gpa to a new machine page on `node`: unmap it and shoot
// the old mapping down, copy it, map the copy, free the old page. Safe
// while the VM runs: its vCPUs that touch the page meanwhile fault and
// retry until the move is done. A page pinned by a disk request
// (pmap_pin) stays where it is, since the disk may still write the old
// page after the copy.
// A shared page (lab 3) is not moved either: it serves other VMs too.
// Returns PMAP_MOVED (also when the page has no backing yet: nothing to
// move), PMAP_PINNED (not moved; try later), PMAP_SHARED (not moved), or
// -1 when node has no page for the VM (none left of its reservation
// there, and no unreserved one; never a page of another node instead).
#define PMAP_MOVED 0
#define PMAP_PINNED 1
#define PMAP_SHARED 2
int pmap_move_page(struct pmap *pm, uint64_t gpa, int node);

// Pin guest page gpa for a device that reads or writes it behind the
// VM's back (the monitor's disk): back it first if it has no page yet (as
// pmap_fault does), and if the device will write it (`write`) and it is
// shared, give it a private copy first (pmap_cow); then take a reference on its machine page
// (memmap_ref) so that the page stays allocated, and stays at gpa
// (pmap_move_page leaves it alone), until the caller drops the reference
// with memmap_free. Returns the machine address of gpa (its offset in the
// page kept), or 0 when gpa is not RAM or memory ran out.
uint64_t pmap_pin(struct pmap *pm, uint64_t gpa, bool write);

// Copy n bytes into (pmap_copy_in) or out of (pmap_copy_out) guest RAM at
// gpa (the caller has checked it is RAM), all within one page, under the
// pmap's locks, so that no other vCPU can remove or move the page between
// our finding its machine page and the copy. A copy into a shared page
// (lab 3) gives the guest page a private copy first (pmap_cow). Returns
// 0, or -1 when the page has no machine page (nothing copied; it backs
// nothing) or memory ran out.
int pmap_copy_in(struct pmap *pm, uint64_t gpa, const void *src, uint64_t n);
int pmap_copy_out(struct pmap *pm, void *dst, uint64_t gpa, uint64_t n);

// Give guest page gpa zeroed contents (Disco's "give me a zeroed page"
// monitor call, hyp/sbi/vsbi_disco.c): a private page is zeroed in place,
// a guest page with no machine page gets a fresh zeroed one, and a shared
// one (lab 3) is replaced by the node's shared zero page (pmap_share; the
// guest's first write makes it private), so that the VM still holds no
// page of its own for it. Returns 0, or -1 when memory ran out.
int pmap_zero(struct pmap *pm, uint64_t gpa);

// ---- Hinting faults (lab 4, hyp/mem/numa.h) ----
// Take away access to gpa's private page for a moment, so that the next
// access from any vCPU faults and says who uses the page: clear the
// entry's V bit and mark it (the machine page stays behind gpa, so no
// shootdown is needed: a hart that still caches the old entry just does
// not report its access). Returns the machine page, or 0 if gpa has no
// valid private mapping (nothing revoked).
uint64_t pmap_revoke(struct pmap *pm, uint64_t gpa);

// A guest-page fault at gpa: if its entry was revoked, make it valid
// again (and fence it here) and return its machine page; else 0.
uint64_t pmap_restore(struct pmap *pm, uint64_t gpa);

// ---- Replication (lab 4, Disco 4.2.3) ----
// A replicated page: its page in map[] (the master) is mapped read-only in
// every table, and each node in its memmap record's replica list has a
// read-only copy there (owner OWNER_REPLICA), which that node's table maps.
// A write faults and collapses it back to the master, writable. Every other
// change of the page (remove, move, a copy into it, a device write, sharing
// or zeroing it) collapses it first.

// Give pm a G-stage table for each of the machine's nnodes nodes
// (node_tables[]), before any replica; their pages come from unreserved
// memory. `tables` is storage for them that the caller keeps. Returns 0,
// or -1 if memory is short (then the VM keeps its one table).
int pmap_node_tables(struct pmap *pm, struct pmap tables[MAX_NODES], int nnodes);

// A guest-page fault at gpa from a hart on `node` of a VM with node
// tables: if the VM's own table maps gpa and the node's does not, copy the
// mapping there (the node's replica instead, if it has one). Returns 1 if
// it did (the guest retries), 0 if the fault is for someone else, -1 if
// no page was left for the node table.
int pmap_node_fault(struct pmap *pm, int node, uint64_t gpa);

// Copy gpa's page to `node` and map the copy there, the page read-only
// everywhere. Returns 0, or -1 if it could not (a shared or pinned page, no
// node tables, the node has it already, or no free page there).
int pmap_replicate(struct pmap *pm, uint64_t gpa, int node);

// If gpa's page is replicated, drop the copies (with a shootdown) and make
// it writable again. Returns 1 if it was replicated, 0 if not.
int pmap_collapse(struct pmap *pm, uint64_t gpa);

// Free everything: every guest page the pmap holds, the G-stage table and
// the map itself. The VM must not run anywhere any more.
void pmap_destroy(struct pmap *pm);

#endif
