// guest-os/user/cc.c: the "compiler" that pmake runs on each source file.
//
//     cc SOURCE OBJECT
//
// Part of the pmake workload (Disco section 5.1: "Pmake", a parallel
// make of the IRIX sources, which spends most of its time in the kernel
// creating processes, reading and writing files). cc stands in for the
// compiler: one short-lived process per source file, which reads the
// file, does real compiler work on it, and writes an object file that
// the link step (ld) reads back.
//
// The language is tiny; pmake generates programs in it:
//
//     func f3_1 {                      a function, global
//       v12 = v3 + 17 * v9 - 4 ;       a variable, local to the file,
//       v2 = @f7_0 ^ v12 ;             gets operands combined left to
//     }                                right; @name calls a function
//
// cc tokenizes the source, enters every name in a symbol table, emits
// code for a small stack machine, folds constant operations as it emits
// them, and removes stores that are overwritten before anyone reads
// them. The object file (drawn in object.h) holds the code and the
// symbol table; calls and variables stay symbolic until ld places them.
#include "guest-os/user/ulib.h"
#include "guest-os/user/object.h"

// ---- Limits ----
#define MAX_SYMS  512                 // functions named in one file
#define MAX_VARS  256                 // variables in one file
#define HASH_SIZE 1024                // symbol table slots (a power of 2)
#define MAX_CODE  (64 * 1024)         // code words

static const char *srcname;           // for messages
static char *src;                     // the source text, NUL-terminated
static int pos, line = 1;             // the tokenizer's place

// The symbol table: open addressing over names. Functions become
// objsym entries; variables get slots.
struct name {
  char text[NAME_LEN];
  int used;
  int is_var;
  int index;                          // objsym index or variable slot
};
static struct name table[HASH_SIZE];
static struct objsym syms[MAX_SYMS];
static int nsyms, nvars;

static uint64_t *code;
static int ncode;

// Stop with a message naming the file and line.
static void die(const char *what, const char *detail) {
  fprintf(2, "cc: %s:%d: %s%s\n", srcname, line, what, detail);
  exit(1);
}

// ---- Tokens ----

enum { T_EOF, T_IDENT, T_NUM, T_PUNCT };
static int tok;                       // the current token's kind
static char tok_text[NAME_LEN];       // an identifier
static long tok_num;                  // a number
static int tok_char;                  // a punctuation character

static int is_ident_char(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         isdigit(c);
}

// Move to the next token.
static void next(void) {
  while (isspace(src[pos]))
    if (src[pos++] == '\n')
      line++;
  int c = src[pos];
  if (c == 0) {
    tok = T_EOF;
  } else if (isdigit(c)) {
    tok = T_NUM;
    tok_num = 0;
    while (isdigit(src[pos]))
      tok_num = tok_num * 10 + (src[pos++] - '0');
  } else if (is_ident_char(c)) {
    tok = T_IDENT;
    int n = 0;
    while (is_ident_char(src[pos])) {
      if (n == NAME_LEN - 1)
        die("name too long", "");
      tok_text[n++] = src[pos++];
    }
    tok_text[n] = 0;
  } else {
    tok = T_PUNCT;
    tok_char = c;
    pos++;
  }
}

static void expect(int c) {
  if (tok != T_PUNCT || tok_char != c) {
    char want[4] = {'\'', (char)c, '\'', 0};
    die("expected ", want);
  }
  next();
}

// ---- The symbol table ----

static uint32_t hash_name(const char *s) {
  uint32_t h = 2166136261u;            // FNV-1a
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

// The table entry for `text`, made (as a variable or a function) if new.
static struct name *lookup(const char *text, int is_var) {
  uint32_t i = hash_name(text) & (HASH_SIZE - 1);
  while (table[i].used && strcmp(table[i].text, text) != 0)
    i = (i + 1) & (HASH_SIZE - 1);
  struct name *n = &table[i];
  if (n->used) {
    if (n->is_var != is_var)
      die("used both as a variable and a function: ", text);
    return n;
  }
  if (is_var ? nvars == MAX_VARS : nsyms == MAX_SYMS)
    die("too many names", "");
  n->used = 1;
  n->is_var = is_var;
  strcpy(n->text, text);
  if (is_var) {
    n->index = nvars++;
  } else {
    n->index = nsyms++;
    strcpy(syms[n->index].name, text);
  }
  return n;
}

// ---- Code generation ----

static void emit(int op, uint32_t arg) {
  if (ncode == MAX_CODE)
    die("function too big", "");
  code[ncode++] = WORD(op, arg);
}

static int32_t apply(int op, int32_t a, int32_t b) {
  switch (op) {
  case OP_ADD: return (int32_t)((uint32_t)a + (uint32_t)b);
  case OP_SUB: return (int32_t)((uint32_t)a - (uint32_t)b);
  case OP_MUL: return (int32_t)((uint32_t)a * (uint32_t)b);
  case OP_AND: return a & b;
  case OP_OR:  return a | b;
  default:     return a ^ b;
  }
}

// Emit a binary operation; if both operands are constants just pushed,
// fold them into one constant instead (constant folding, done as the
// code is emitted, the way a one-pass compiler does it).
static void emit_op(int op) {
  if (ncode >= 2 && OPCODE(code[ncode - 1]) == OP_PUSHI &&
      OPCODE(code[ncode - 2]) == OP_PUSHI) {
    int32_t b = (int32_t)ARG(code[--ncode]);
    int32_t a = (int32_t)ARG(code[--ncode]);
    emit(OP_PUSHI, (uint32_t)apply(op, a, b));
    return;
  }
  emit(op, 0);
}

static int op_for(int c) {
  switch (c) {
  case '+': return OP_ADD;
  case '-': return OP_SUB;
  case '*': return OP_MUL;
  case '&': return OP_AND;
  case '|': return OP_OR;
  case '^': return OP_XOR;
  default:  return 0;
  }
}

// operand: NUMBER | VARIABLE | @FUNCTION
static void operand(void) {
  if (tok == T_NUM) {
    emit(OP_PUSHI, (uint32_t)tok_num);
  } else if (tok == T_IDENT) {
    emit(OP_LOAD, lookup(tok_text, 1)->index);
  } else if (tok == T_PUNCT && tok_char == '@') {
    next();
    if (tok != T_IDENT)
      die("expected a function after @", "");
    emit(OP_CALL, lookup(tok_text, 0)->index);
  } else {
    die("expected an operand", "");
  }
  next();
}

// statement: VARIABLE = operand { op operand } ;
static void statement(void) {
  if (tok != T_IDENT)
    die("expected a variable", "");
  int slot = lookup(tok_text, 1)->index;
  next();
  expect('=');
  operand();
  int op;
  while (tok == T_PUNCT && (op = op_for(tok_char)) != 0) {
    next();
    operand();
    emit_op(op);
  }
  expect(';');
  emit(OP_STORE, slot);
}

// function: func NAME { statement... }
static void function(void) {
  if (tok != T_IDENT || strcmp(tok_text, "func") != 0)
    die("expected 'func'", "");
  next();
  if (tok != T_IDENT)
    die("expected a function name", "");
  struct name *n = lookup(tok_text, 0);
  if (syms[n->index].defined)
    die("function defined twice: ", tok_text);
  syms[n->index].defined = 1;
  syms[n->index].value = ncode;
  next();
  expect('{');
  emit(OP_ENTER, 0);
  while (!(tok == T_PUNCT && tok_char == '}'))
    statement();
  next();
  emit(OP_RET, 0);
}

// Dead-store elimination: a store to a variable that is stored again,
// with no load of it and no call in between (a call may read any
// variable of the file), is dead; its value is popped instead. One pass
// backwards over the code, keeping the set of variables that will be
// overwritten before they are read. Returns how many stores it removed.
static int remove_dead_stores(void) {
  static uint8_t overwritten[MAX_VARS];
  int removed = 0;
  memset(overwritten, 0, sizeof(overwritten));
  for (int i = ncode - 1; i >= 0; i--) {
    uint32_t a = ARG(code[i]);
    switch (OPCODE(code[i])) {
    case OP_STORE:
      if (overwritten[a]) {
        code[i] = WORD(OP_POP, 0);
        removed++;
      }
      overwritten[a] = 1;
      break;
    case OP_LOAD:
      overwritten[a] = 0;
      break;
    case OP_CALL:
    case OP_RET:                      // variables outlive the function
      memset(overwritten, 0, sizeof(overwritten));
      break;
    }
  }
  return removed;
}

// ---- Files ----

// Read the whole of `path` into a fresh NUL-terminated buffer.
static char *read_file(const char *path) {
  int fd = open(path, O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0) {
    fprintf(2, "cc: cannot open %s\n", path);
    exit(1);
  }
  char *buf = malloc(st.size + 1);
  if (buf == NULL || read(fd, buf, st.size) != (long)st.size) {
    fprintf(2, "cc: cannot read %s (%lu bytes)\n", path, (unsigned long)st.size);
    exit(1);
  }
  buf[st.size] = 0;
  close(fd);
  return buf;
}

static void write_all(int fd, const void *p, long n, const char *path) {
  if (write(fd, p, n) != n) {
    fprintf(2, "cc: cannot write %s (disk full?)\n", path);
    exit(1);
  }
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(2, "usage: cc SOURCE OBJECT\n");
    return 2;
  }
  srcname = argv[1];
  src = read_file(srcname);
  code = malloc(MAX_CODE * sizeof(uint64_t));
  if (code == NULL)
    die("out of memory", "");
  next();
  while (tok != T_EOF)
    function();
  remove_dead_stores();

  struct objhdr h = {OBJ_MAGIC, nsyms, ncode, nvars};
  int fd = open(argv[2], O_WRONLY | O_CREATE | O_TRUNC);
  if (fd < 0) {
    fprintf(2, "cc: cannot create %s\n", argv[2]);
    return 1;
  }
  write_all(fd, &h, sizeof(h), argv[2]);
  write_all(fd, syms, nsyms * sizeof(struct objsym), argv[2]);
  write_all(fd, code, ncode * sizeof(uint64_t), argv[2]);
  close(fd);
  return 0;
}
