// hyp/mem/numa.h: lab 4, NUMA memory management: find the pages each node
// uses, and move or copy them there (Disco 4.2.3, "NUMA memory
// management").
//
// Disco's monitor read FLASH's per-page, per-node cache-miss counters and
// moved a page that one node missed on a lot to that node. RISC-V has no
// such counters; we do what Linux's NUMA balancing does instead: hinting
// faults. Now and then the monitor revokes access to a window of a VM's
// pages (pmap_revoke: the G-stage entry's V bit off, the page left where
// it is); the next access to such a page, from whichever vCPU, faults,
// and the fault says which node's hart touched it, and whether to write.
// The monitor makes the entry valid again (pmap_restore), notes the touch
// in the page's memmap record (hints[node], cut to three quarters at each
// scan of the page, so old touches fade), and decides:
//
//   numa_decide(record, node that touched it)  -> NUMA_MIGRATE: move the
//        page to that node (pmap_move_page, with lab 2's shootdown)
//                                             -> NUMA_REPLICATE: give that
//        node a read-only copy (pmap_replicate; policy "replicate" only)
//                                             -> NUMA_LEAVE: do nothing
//
// Disco's rule (4.2.3): a hot page used by one node moves there; a hot
// page read by several nodes is copied to each; a page written by several
// is left alone. A write to a replicated page faults and collapses it to
// one writable page (pmap_collapse), and marks it written, so that it is
// not copied again until NUMA_COLLAPSE_SCANS scans have aged that mark
// away. With copies the
// VM's vCPUs run on per-node G-stage tables (pmap_node_tables), each
// mapping its node's copies.
//
// A page moves only while it has moved fewer than NUMA_MOVE_LIMIT times
// since its last scan but one (moves is halved at each scan), so a page
// two nodes fight over does not bounce between them at every touch.
//
// The scheduler cooperates (hyp/cpu/sched.c): it keeps a VM's vCPUs on
// their node while that node has time for them, and moves one whose node
// is overloaded (it waited in line long) to a hart of another node with
// nothing to do. Its touches then come from the new node, so the policy
// moves its hot pages there: its memory follows it. For a VM homed on one
// node, a page moved to another comes from the new node's unreserved
// pages (pmap_move_page says why its reservation stays right).
//
// A VM's policy is set by its configuration (`numa-policy = "migrate";` or
// "replicate", hyp/vm/vmconfig.h; default off: nothing is ever revoked).
// The scan runs when one of the VM's vCPUs traps to the monitor
// (vtrap_handle): every scan_ms milliseconds, the next scan_pages guest
// pages of the VM. (So a VM whose vCPUs seldom trap scans seldom.)
//
// Locks: a page's hints and moves are under its VM's pmap lock; the scan's
// cursor belongs to the vCPU that claimed the scan (by moving next_scan
// on, atomically); the counters are atomic.
#ifndef HYP_NUMA_H
#define HYP_NUMA_H

#include "hyp/param.h"
#include "kernel/types.h"

#define NUMA_HOT          6     // hints from one node that make a page hot
#define NUMA_HINT_WEIGHT  4     // what one hinting fault adds
#define NUMA_MOVE_LIMIT   2     // moves per page between two of its scans
// Only the first touch after a scan faults, so a page gets at most one
// hint per scan: with these numbers a page is hot for a node that touched
// it at two of its last three scans, and a touch from another node still
// counts for three more scans, long enough to see that the page is shared.
// A write seen by a hinting fault keeps a page from being copied for its
// next NUMA_WRITE_SCANS scans; a collapse (a write to a copied page: the
// copy was a mistake) for NUMA_COLLAPSE_SCANS.
#define NUMA_WRITE_SCANS    3
#define NUMA_COLLAPSE_SCANS 8
#define NUMA_SCAN_MS      10    // default period of a VM's scan
#define NUMA_SCAN_PAGES   256   // default pages revoked per scan

struct pmap;
struct memmap_entry;

// What the policy does with a page (numa_decide).
enum numa_action {
  NUMA_LEAVE,               // where it is
  NUMA_MIGRATE,             // to the node that touched it
  NUMA_REPLICATE,           // a read-only copy for the node that touched it
};

// The policies a VM may have.
enum numa_policy {
  NUMA_OFF,
  NUMA_POLICY_MIGRATE,      // move pages, never copy them
  NUMA_POLICY_REPLICATE,    // move, and copy read-shared pages
};

struct numa_state {
  bool on;                  // the policy runs for this VM
  bool replicate;           // ... and copies read-shared pages
  uint64_t scan_ticks;      // rdtime ticks between scans
  uint64_t scan_pages;      // pages revoked per scan
  uint64_t next_scan;       // rdtime of the next scan
  uint64_t cursor;          // the next guest page to scan (an index)

  // Counters (atomic).
  uint64_t revoked;         // entries revoked
  uint64_t hints;           // hinting faults taken
  uint64_t remote_hints;    // ... from a node other than the page's
  uint64_t migrated;        // pages moved by the policy
  uint64_t limited;         // moves the move limit refused
  uint64_t not_moved;       // moves or copies that could not be made (pinned,
                            //   shared, copied there already, or no page
                            //   free on the node)
  uint64_t replicated;      // copies made by the policy
  uint64_t collapsed;       // replicated pages written (collapsed)
  uint64_t vcpu_moves;      // vCPUs the scheduler moved to another
                            //   node (hyp/cpu/sched.c)
};

// Start the policy for pm, scanning scan_pages pages every scan_ms
// milliseconds (0: the defaults above). For "replicate" it gives the VM
// its per-node tables; if memory is short for them, the VM migrates only
// (and says so). `name` is the VM's, for that message.
void numa_init(struct pmap *pm, enum numa_policy policy, uint64_t scan_ms,
               uint64_t scan_pages, const char *name);

// Scan the next window of pm's pages if its time has come (from a trap of
// any of the VM's vCPUs: the one that claims the scan runs it).
void numa_scan(struct pmap *pm);

// A guest-page fault at gpa on this hart that is the policy's: a hinting
// fault (note it, act on it), a node table missing an entry the VM's table
// has (copy it), or a write to a replicated page (collapse it). Returns
// 1 if it was (the guest retries the access), 0 if the fault is
// someone else's; -1 if it was but memory ran out (a node table's page).
int numa_fault(struct pmap *pm, uint64_t gpa, bool write);

// The policy (lab 4): what to do with a page whose record is e, just
// touched from `node` (its hints already counted); copies only if
// `replicate`.
enum numa_action numa_decide(const struct memmap_entry *e, int node, bool replicate);

// Print `counters <name>: numa policy=migrate revoked=.. hints=.. ...
// vcpu-moves=..`.
void numa_print_counters(struct pmap *pm, const char *name);

// Print the live line of vm_memory_report (hyp/vm/vm.h) for pm's VM,
// `t_ms` into the report: `numa-report: t-ms=.. vm=<name> revoked=.. ...
// node0=.. node1=.. vcpu-moves=..` (its guest pages per node).
void numa_print_report(struct pmap *pm, const char *name, uint64_t t_ms);

#endif
