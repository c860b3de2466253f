// guest-os/user/ld.c: the link step of the pmake workload.
//
//     ld OUTPUT LIST
//
// LIST is a file naming the object files (cc's output) one a line; an
// argument list would not do, since exec takes 16 arguments and a build
// has more files than that (real linkers take such "response files"
// too). ld reads every object, places each file's functions in one code
// area and its variables in one data area, resolves each call to the
// function of that name, wherever it is defined, and writes the result
// (formats in object.h). Like the last step of Disco's pmake, it reads
// everything the parallel part wrote.
#include "guest-os/user/ulib.h"
#include "guest-os/user/object.h"

#define MAX_OBJS   512
#define HASH_SIZE  8192               // global functions (a power of 2)

struct object {
  const char *name;
  struct objhdr *h;                   // the whole file, read into memory
  struct objsym *syms;
  uint64_t *code;
  uint32_t code_base;                 // where its code goes in the output
  uint32_t data_base;                 // where its variables go
};

static struct object objs[MAX_OBJS];
static int nobjs;

// The global symbol table: a function's name and its address.
struct global {
  const char *name;                   // NULL: a free slot
  uint32_t addr;
};
static struct global globals[HASH_SIZE];
static int nglobals;

static void die(const char *fmt, const char *arg) {
  fprintf(2, "ld: ");
  fprintf(2, fmt, arg);
  fprintf(2, "\n");
  exit(1);
}

// Read the whole of `path` into fresh memory; its size in *size.
static char *read_file(const char *path, long *size) {
  int fd = open(path, O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0)
    die("cannot open %s", path);
  char *buf = malloc(st.size + 1);
  if (buf == NULL || read(fd, buf, st.size) != (long)st.size)
    die("cannot read %s", path);
  buf[st.size] = 0;
  close(fd);
  *size = st.size;
  return buf;
}

static uint32_t hash_name(const char *s) {
  uint32_t h = 2166136261u;            // FNV-1a
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

// The slot for `name`: the one holding it, or the free one where it
// would go.
static struct global *find(const char *name) {
  uint32_t i = hash_name(name) & (HASH_SIZE - 1);
  while (globals[i].name && strcmp(globals[i].name, name) != 0)
    i = (i + 1) & (HASH_SIZE - 1);
  return &globals[i];
}

// Read one object file and check that its parts fit in it.
static void load(const char *name) {
  if (nobjs == MAX_OBJS)
    die("more than 512 objects (at %s)", name);
  long size;
  struct object *o = &objs[nobjs++];
  o->name = name;
  o->h = (struct objhdr *)read_file(name, &size);
  long want = sizeof(struct objhdr);
  if (size >= want)
    want += o->h->nsyms * (long)sizeof(struct objsym) + o->h->ncode * 8L;
  if (size < (long)sizeof(struct objhdr) || o->h->magic != OBJ_MAGIC ||
      size != want)
    die("%s is not an object file of cc's", name);
  o->syms = (struct objsym *)(o->h + 1);
  o->code = (uint64_t *)(o->syms + o->h->nsyms);
}

// Pass 1: give every object its place, and enter its functions.
static void place(uint32_t *ncode, uint32_t *ndata) {
  for (int i = 0; i < nobjs; i++) {
    struct object *o = &objs[i];
    o->code_base = *ncode;
    o->data_base = *ndata;
    *ncode += o->h->ncode;
    *ndata += o->h->nvars;
    for (uint32_t s = 0; s < o->h->nsyms; s++) {
      struct objsym *sym = &o->syms[s];
      if (!sym->defined)
        continue;
      sym->name[NAME_LEN - 1] = 0;
      struct global *g = find(sym->name);
      if (g->name)
        die("function %s is defined twice", sym->name);
      if (nglobals == HASH_SIZE / 2)
        die("too many functions (at %s)", sym->name);
      g->name = sym->name;
      g->addr = o->code_base + sym->value;
      nglobals++;
    }
  }
}

// Pass 2: rewrite each object's calls and variables to their places.
static void relocate(struct object *o) {
  for (uint32_t i = 0; i < o->h->ncode; i++) {
    uint64_t w = o->code[i];
    uint32_t a = ARG(w);
    switch (OPCODE(w)) {
    case OP_LOAD:
    case OP_STORE:
      if (a >= o->h->nvars)
        die("a variable out of range in %s", o->name);
      o->code[i] = WORD(OPCODE(w), o->data_base + a);
      break;
    case OP_CALL: {
      if (a >= o->h->nsyms)
        die("a symbol out of range in %s", o->name);
      struct global *g = find(o->syms[a].name);
      if (g->name == NULL)
        die("undefined function %s", o->syms[a].name);
      o->code[i] = WORD(OP_CALL, g->addr);
      break;
    }
    }
  }
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(2, "usage: ld OUTPUT LIST\n");
    return 2;
  }
  // The list: one object name a line, cut in place into strings.
  long size;
  char *list = read_file(argv[2], &size);
  for (char *s = list; *s;) {
    char *end = strchr(s, '\n');
    if (end)
      *end = 0;
    if (*s)
      load(s);
    s = end ? end + 1 : s + strlen(s);
  }

  uint32_t ncode = 0, ndata = 0;
  place(&ncode, &ndata);
  for (int i = 0; i < nobjs; i++)
    relocate(&objs[i]);

  int fd = open(argv[1], O_WRONLY | O_CREATE | O_TRUNC);
  if (fd < 0)
    die("cannot create %s", argv[1]);
  struct exehdr h = {EXE_MAGIC, ncode, ndata, nglobals};
  int ok = write(fd, &h, sizeof(h)) == sizeof(h);
  for (int i = 0; ok && i < nobjs; i++) {
    long n = objs[i].h->ncode * 8L;
    ok = write(fd, objs[i].code, n) == n;
  }
  if (!ok)
    die("cannot write %s (disk full?)", argv[1]);
  close(fd);
  printf("ld: %d objects, %d functions, %u code words, %u variables\n",
         nobjs, nglobals, ncode, ndata);
  return 0;
}
