// guest-os/user/database.c: the database workload, queries over an
// indexed table on the disk.
//
//     database [NQUERIES]           (default: 2000)
//
// Models Disco's "Database" (Disco section 5.1: Sybase SQL Server
// running a decision-support workload). Its cost under a monitor is in
// the kernel and the disk: many reads, small writes, each a system call
// and, below the buffer cache, a disk request that the monitor's virtual
// disk serves. This one builds a table of NRECS records and an index on
// their keys, then runs a fixed mix of queries:
//
//   50%  look a key up through the index and read its record
//   10%  look up a key that is not there
//   15%  a range scan: RANGE consecutive keys from a random one, reading
//        each record (scattered over the table) and summing a column
//   25%  an update: read a record, change two fields, write it in place
//        (one small write, one file-system transaction)
//
// and at the end reads the whole table back. The table is 1 MiB, twice
// the kernel's buffer cache, so records come from the disk again and
// again.
//
// The files, in /db-PID (removed at the end):
//
//   t000 .. t127   the table, in segments of SEG_RECS records (8 KiB).
//                  guest-os has no lseek, so a record is reached by
//                  reading up to it; segments keep that short, the way
//                  real databases keep their tables in extents.
//   i000 .. i031   the index's leaves: (key, record number) pairs sorted
//                  by key, LEAF_ENTRIES to a 4 KiB leaf.
//   root           the first key of each leaf: the index's top level,
//                  read once into memory (a two-level B-tree, built
//                  bottom-up from the sorted keys).
//
// The last line is "database: checksum 0x... (N queries) in T us";
// the checksum covers every query's answer, in order, and the final
// table: the same on any machine that runs the queries right.
#include "guest-os/user/ulib.h"

#define NRECS        8192
#define SEG_RECS     64
#define NSEGS        (NRECS / SEG_RECS)
#define LEAF_ENTRIES 256
#define NLEAVES      (NRECS / LEAF_ENTRIES)
#define RANGE        16

struct record {                       // 128 bytes
  uint64_t key;
  uint64_t id;                        // its record number
  int64_t balance;
  uint32_t count;                     // updates applied to it
  uint32_t region;                    // 0..15: what range scans sum by
  char name[96];
};

struct entry {                        // an index entry, 16 bytes
  uint64_t key;
  uint32_t rid;
  uint32_t pad;
};

static char dir[32];
static uint64_t root[NLEAVES];        // the first key of each leaf
static struct entry leaf[LEAF_ENTRIES];
static int leaf_loaded = -1;          // which leaf is in leaf[]
static char skip_buf[SEG_RECS * sizeof(struct record)];
static uint64_t answers = 14695981039346656037ull;
static uint64_t rng_state = 0x853c49e6748fea9bull;

static uint64_t rng(void) {           // xorshift64*
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 2685821657736338717ull;
}

// Record i's key. The function is a bijection on 64-bit numbers (each
// step is invertible), so keys are distinct, and key_of(NRECS + j) is
// never a key in the table: lookups can be made to miss on purpose.
static uint64_t key_of(uint64_t i) {
  uint64_t z = i + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static void record_answer(uint64_t v) {
  answers = (answers ^ v) * 0x100000001b3ull;
}

static void die(const char *what, const char *file) {
  fprintf(2, "database: %s %s\n", what, file);
  printf("database: FAILED\n");
  exit(1);
}

// name = PREFIX + n in 3 digits ("t007").
static void file_name(char *name, char prefix, int n) {
  name[0] = prefix;
  name[1] = (char)('0' + n / 100);
  name[2] = (char)('0' + n / 10 % 10);
  name[3] = (char)('0' + n % 10);
  name[4] = 0;
}

static void write_file(const char *name, const void *data, long n) {
  int fd = open(name, O_WRONLY | O_CREATE | O_TRUNC);
  if (fd < 0 || write(fd, data, n) != n)
    die("cannot write", name);
  close(fd);
}

static void read_file(const char *name, void *data, long n) {
  int fd = open(name, O_RDONLY);
  if (fd < 0 || read(fd, data, n) != n)
    die("cannot read", name);
  close(fd);
}

// ---- Building the table and its index ----

// Sort entries by key (heapsort: in place, and no recursion).
static void sift_down(struct entry *e, long i, long n) {
  for (;;) {
    long c = 2 * i + 1;
    if (c >= n)
      return;
    if (c + 1 < n && e[c + 1].key > e[c].key)
      c++;
    if (e[i].key >= e[c].key)
      return;
    struct entry t = e[i];
    e[i] = e[c];
    e[c] = t;
    i = c;
  }
}

static void sort_entries(struct entry *e, long n) {
  for (long i = n / 2 - 1; i >= 0; i--)
    sift_down(e, i, n);
  for (long end = n - 1; end > 0; end--) {
    struct entry t = e[0];
    e[0] = e[end];
    e[end] = t;
    sift_down(e, 0, end);
  }
}

static void build(void) {
  static struct record seg[SEG_RECS];
  struct entry *all = malloc(NRECS * sizeof(struct entry));
  if (all == NULL)
    die("out of memory", "");
  for (int s = 0; s < NSEGS; s++) {
    memset(seg, 0, sizeof(seg));
    for (int r = 0; r < SEG_RECS; r++) {
      uint64_t id = (uint64_t)s * SEG_RECS + r;
      struct record *rec = &seg[r];
      rec->key = key_of(id);
      rec->id = id;
      rec->balance = (int64_t)(rng() % 1000000);
      rec->region = (uint32_t)(rng() % 16);
      strcpy(rec->name, "customer ");
      for (int k = 9; k < 9 + 16; k++)
        rec->name[k] = (char)('a' + rng() % 26);
      all[id].key = rec->key;
      all[id].rid = (uint32_t)id;
      all[id].pad = 0;
    }
    char name[8];
    file_name(name, 't', s);
    write_file(name, seg, sizeof(seg));
  }
  sort_entries(all, NRECS);
  for (int l = 0; l < NLEAVES; l++) {
    char name[8];
    file_name(name, 'i', l);
    write_file(name, &all[l * LEAF_ENTRIES], LEAF_ENTRIES * sizeof(struct entry));
    root[l] = all[l * LEAF_ENTRIES].key;
  }
  write_file("root", root, sizeof(root));
  free(all);
}

// ---- Reading and writing through the index ----

static void load_leaf(int l) {
  if (l == leaf_loaded)
    return;
  char name[8];
  file_name(name, 'i', l);
  read_file(name, leaf, sizeof(leaf));
  leaf_loaded = l;
}

// The position (leaf * LEAF_ENTRIES + slot) of the first entry whose key
// is >= key, or NRECS if there is none; the leaf holding it is loaded.
static int lower_bound(uint64_t key) {
  int lo = 0, hi = NLEAVES;           // the leaf: the last one whose
  while (hi - lo > 1) {               // first key is <= key
    int mid = (lo + hi) / 2;
    if (root[mid] <= key)
      lo = mid;
    else
      hi = mid;
  }
  load_leaf(lo);
  int a = 0, b = LEAF_ENTRIES;        // the slot, within the leaf
  while (a < b) {
    int mid = (a + b) / 2;
    if (leaf[mid].key < key)
      a = mid + 1;
    else
      b = mid;
  }
  int pos = lo * LEAF_ENTRIES + a;
  if (a == LEAF_ENTRIES && pos < NRECS)
    load_leaf(lo + 1);
  return pos;
}

// The entry at a position lower_bound gave, or the one after it.
static struct entry *entry_at(int pos) {
  load_leaf(pos / LEAF_ENTRIES);
  return &leaf[pos % LEAF_ENTRIES];
}

// Open record rid's segment (for reading, or for both) and read up to
// the record; the descriptor, placed at the record.
static int seek_record(uint32_t rid, int flags) {
  char name[8];
  file_name(name, 't', rid / SEG_RECS);
  int fd = open(name, flags);
  long skip = (rid % SEG_RECS) * (long)sizeof(struct record);
  if (fd < 0 || read(fd, skip_buf, skip) != skip)
    die("cannot reach a record in", name);
  return fd;
}

static void fetch(uint32_t rid, struct record *rec) {
  int fd = seek_record(rid, O_RDONLY);
  if (read(fd, rec, sizeof(*rec)) != sizeof(*rec) || rec->id != rid)
    die("a bad record in the table", "");
  close(fd);
}

static void store(const struct record *rec) {
  int fd = seek_record((uint32_t)rec->id, O_RDWR);
  if (write(fd, rec, sizeof(*rec)) != sizeof(*rec))
    die("cannot update a record", "");
  close(fd);
}

// The record with `key` in *rec: 1, or 0 if there is none.
static int lookup(uint64_t key, struct record *rec) {
  int pos = lower_bound(key);
  if (pos == NRECS || entry_at(pos)->key != key)
    return 0;
  fetch(entry_at(pos)->rid, rec);
  if (rec->key != key)
    die("the index points at the wrong record", "");
  return 1;
}

// ---- The queries ----

static int64_t range_scan(uint64_t from, int *found) {
  struct record rec;
  int64_t sum = 0;
  int pos = lower_bound(from);
  *found = 0;
  for (int n = 0; n < RANGE && pos < NRECS; n++, pos++) {
    fetch(entry_at(pos)->rid, &rec);
    if (rec.region < 8)               // "WHERE region < 8"
      sum += rec.balance;
    (*found)++;
  }
  return sum;
}

static void run_queries(long n, long *stats) {
  struct record rec;
  for (long q = 0; q < n; q++) {
    int kind = (int)(rng() % 100);
    uint64_t i = rng() % NRECS;
    if (kind < 50) {                              // point lookup
      if (!lookup(key_of(i), &rec))
        die("a key in the table was not found", "");
      record_answer(rec.balance ^ ((uint64_t)rec.count << 40));
      stats[0]++;
    } else if (kind < 60) {                       // a key not there
      if (lookup(key_of(NRECS + i), &rec))
        die("found a key that is not in the table", "");
      record_answer(q);
      stats[1]++;
    } else if (kind < 75) {                       // range scan
      int found;
      int64_t sum = range_scan(rng(), &found);
      record_answer((uint64_t)sum ^ (uint64_t)found << 56);
      stats[2]++;
    } else {                                      // update in place
      if (!lookup(key_of(i), &rec))
        die("a key to update was not found", "");
      rec.balance += (int64_t)(rng() % 2001) - 1000;
      rec.count++;
      store(&rec);
      record_answer(rec.balance);
      stats[3]++;
    }
  }
}

// Read the whole table in order, check each record, hash it all.
static uint64_t scan_table(void) {
  static struct record seg[SEG_RECS];
  uint64_t h = 14695981039346656037ull;
  for (int s = 0; s < NSEGS; s++) {
    char name[8];
    file_name(name, 't', s);
    read_file(name, seg, sizeof(seg));
    for (int r = 0; r < SEG_RECS; r++) {
      if (seg[r].id != (uint64_t)s * SEG_RECS + r || seg[r].key != key_of(seg[r].id))
        die("a damaged record in", name);
      const unsigned char *p = (const unsigned char *)&seg[r];
      for (unsigned k = 0; k < sizeof(seg[r]); k++)
        h = (h ^ p[k]) * 0x100000001b3ull;
    }
  }
  return h;
}

static void clean_up(void) {
  char name[8];
  for (int s = 0; s < NSEGS; s++) {
    file_name(name, 't', s);
    unlink(name);
  }
  for (int l = 0; l < NLEAVES; l++) {
    file_name(name, 'i', l);
    unlink(name);
  }
  unlink("root");
  chdir("/");
  if (unlink(dir) < 0)
    fprintf(2, "database: cannot remove %s\n", dir);
}

int main(int argc, char **argv) {
  long n = 2000;
  if ((argc > 1 && parse_number(argv[1], &n) < 0) || n <= 0) {
    fprintf(2, "usage: database [NQUERIES]\n");
    return 2;
  }
  uint64_t t0 = uptime_us();
  strcpy(dir, "/db-");
  char pid[8];
  file_name(pid, '0', getpid() % 1000);  // "0" + three digits
  strcpy(dir + 4, pid);
  // A run that was interrupted (the machine stopped mid-run) leaves its
  // directory; a database of the next boot may get the same pid: empty
  // the directory and use it again.
  if (mkdir(dir) < 0) {
    if (empty_dir(dir) != 0)
      die("cannot make", dir);
    fprintf(2, "database: %s was left by an interrupted run: emptied it\n", dir);
  }
  if (chdir(dir) < 0)
    die("cannot enter", dir);

  build();
  leaf_loaded = -1;
  read_file("root", root, sizeof(root)); // the index as a query finds it
  long stats[4] = {0};
  run_queries(n, stats);
  uint64_t table = scan_table();
  clean_up();

  uint64_t sum = (answers ^ table) * 0x100000001b3ull + table;
  printf("database: %ld lookups, %ld misses, %ld range scans, %ld updates\n",
         stats[0], stats[1], stats[2], stats[3]);
  printf("database: checksum 0x%016lx (%ld queries) in %lu us\n", sum, n,
         uptime_us() - t0);
  return 0;
}
