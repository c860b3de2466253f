// guest-os/user/sh.c: the shell.
//
//   sh               run the commands of the standard input; when that is
//                    the console, prompt "$ " for each line (interactive)
//   sh FILE          run the commands in FILE (a script)
//   sh -c 'LINE'     run one command line
//
// Each line is parsed whole into a small tree (a struct line: a list of
// pipelines, each a list of commands), and only then run, so a line with
// a syntax error runs nothing. The grammar:
//
//   line     = [ pipeline { ';' pipeline | '&' pipeline } [ ';' | '&' ] ]
//   pipeline = command { '|' command }
//   command  = word { word | '<' word | '>' word | '>>' word }
//
// Words are separated by blanks. Quotes ('...' or "...": the same, but
// for the character that ends them) put blanks and | < > & ; into a word.
// A '#' that starts a word starts a comment, to the end of the line. The
// words $? (the exit status of the last command) and $! (the pid of the
// last background command) are replaced by their values when the command
// runs; nothing else is expanded.
//
// Three commands are built in, because they change the shell itself:
// cd [DIR], exit [N], and wait (for every background command). A
// pipeline ended by '&' runs in the background: the shell prints "[pid]"
// (of its last command) and goes on; before it reads each line it
// reports the background commands that have ended, "[pid] done STATUS"
// (a killed process's status is -1). The shell's exit status is the last
// command's: 127 for a program not found, 2 for a syntax error.
#include "guest-os/user/ulib.h"

#define MAXLINE  256   // bytes in a line, with its NUL (as in exec's args)
#define MAXARGS  16    // words in a command, with its name (exec's limit)
#define MAXCMDS  8     // commands in a pipeline
#define MAXPIPES 8     // pipelines in a line
#define MAXJOBS  16    // background commands not yet reported

// ---- The parsed line ----

// A word of a command: text, or a variable whose value replaces it when
// the command runs.
struct word {
  char *text;          // the word, quotes removed (in line.words)
  char var;            // '?' for $?, '!' for $!, or 0: plain text
};

// One command: its words, and where its input and output go.
struct cmd {
  struct word argv[MAXARGS];
  int argc;
  char *in;            // "< in", or NULL: the shell's input
  char *out;           // "> out" or ">> out", or NULL: the shell's output
  int append;          // 1 for ">>"
};

// Commands joined by pipes; run in the background if ended by '&'.
struct pipeline {
  struct cmd cmds[MAXCMDS];
  int ncmds;
  int background;
};

// A whole line. Static: it is too big for a 16 KiB stack to carry lightly.
static struct line {
  struct pipeline pipes[MAXPIPES];
  int npipes;
  // The words' bytes. A word never takes more bytes here than it took
  // in the line plus its NUL, so twice the line is enough.
  char words[2 * MAXLINE];
} line;

// ---- The shell's state ----

static int last_status;        // $?: the last command's exit status
static int last_background;    // $!: the last background command's pid
static int script_fd = -1;     // sh FILE's descriptor (closed in children)

// Background commands, until their end has been reported. pid 0: free.
static struct job {
  int pid;
  int done;                    // it has exited, with this status:
  int status;
} jobs[MAXJOBS];

// ---- Splitting a line into tokens ----

enum token {
  T_ERROR = -1,                // a syntax error (already reported)
  T_WORD, T_PIPE, T_IN, T_OUT, T_APPEND, T_AMP, T_SEMI, T_END
};

// Where the lexer is: the next byte of the line, the next free byte of
// line.words, and the last word it found.
struct lexer {
  const char *s;
  char *w;
  struct word word;
};

// Print "sh: syntax error: ..." and return T_ERROR (which is -1, what the
// parser's functions return for an error).
static int syntax_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(2, "sh: syntax error: ");
  vfprintf(2, fmt, ap);
  fprintf(2, "\n");
  va_end(ap);
  return T_ERROR;
}

// Is c a byte that ends a word (outside quotes)?
static int ends_word(char c) {
  return c == 0 || isspace(c) || strchr("|<>&;", c) != NULL;
}

// Copy the word at lx->s into line.words, without its quotes, and make it
// lx->word. T_WORD, or T_ERROR for a quote that is never closed.
static int lex_word(struct lexer *lx) {
  lx->word.text = lx->w;
  lx->word.var = 0;
  // $? and $! alone, unquoted, are variables (their text kept for
  // messages).
  if (lx->s[0] == '$' && (lx->s[1] == '?' || lx->s[1] == '!') &&
      ends_word(lx->s[2]))
    lx->word.var = lx->s[1];
  while (!ends_word(*lx->s)) {
    char c = *lx->s++;
    if (c != '\'' && c != '"') {
      *lx->w++ = c;
      continue;
    }
    // A quoted part: everything up to the same quote, as it is.
    const char *close = strchr(lx->s, c);
    if (close == NULL)
      return syntax_error("a %c quote is never closed", c);
    while (lx->s < close)
      *lx->w++ = *lx->s++;
    lx->s++;                   // past the closing quote
  }
  *lx->w++ = 0;
  return T_WORD;
}

// The next token of the line; for T_WORD, the word is in lx->word.
static int next_token(struct lexer *lx) {
  while (isspace(*lx->s))
    lx->s++;
  switch (*lx->s) {
  case 0:
  case '#':                    // a comment: the rest of the line
    return T_END;
  case '|':
    lx->s++;
    return T_PIPE;
  case '&':
    lx->s++;
    return T_AMP;
  case ';':
    lx->s++;
    return T_SEMI;
  case '<':
    lx->s++;
    return T_IN;
  case '>':
    lx->s++;
    if (*lx->s != '>')
      return T_OUT;
    lx->s++;
    return T_APPEND;
  default:
    return lex_word(lx);
  }
}

// ---- Parsing: tokens into a struct line ----

// Parse one command into c, from token *tok on; leave in *tok the token
// that ended it ('|', '&', ';' or the end). 0, or -1 for a syntax error.
// A command may come out empty (argc 0): the caller decides if that is
// wrong.
static int parse_command(struct lexer *lx, int *tok, struct cmd *c) {
  memset(c, 0, sizeof(*c));
  for (;;) {
    int t = *tok;
    if (t == T_WORD) {
      if (c->argc == MAXARGS)
        return syntax_error("more than %d words in a command", MAXARGS);
      c->argv[c->argc++] = lx->word;
    } else if (t == T_IN || t == T_OUT || t == T_APPEND) {
      // A redirection: the next token must be the file's name.
      const char *op = t == T_IN ? "<" : t == T_OUT ? ">" : ">>";
      int f = next_token(lx);
      if (f == T_ERROR)
        return -1;
      if (f != T_WORD)
        return syntax_error("'%s' with no file name after it", op);
      if (t == T_IN) {
        c->in = lx->word.text;
      } else {
        c->out = lx->word.text;
        c->append = t == T_APPEND;
      }
    } else {
      return 0;
    }
    if ((*tok = next_token(lx)) == T_ERROR)
      return -1;
  }
}

// Parse a pipeline into pl, from token *tok on; leave in *tok the token
// that ended it ('&', ';' or the end). 0, or -1 for a syntax error. A
// pipeline with no command at all (the line ";") has one empty command.
static int parse_pipeline(struct lexer *lx, int *tok, struct pipeline *pl) {
  pl->ncmds = 0;
  pl->background = 0;
  for (;;) {
    if (pl->ncmds == MAXCMDS)
      return syntax_error("more than %d commands in a pipeline", MAXCMDS);
    struct cmd *c = &pl->cmds[pl->ncmds++];
    if (parse_command(lx, tok, c) < 0)
      return -1;
    if (c->argc == 0) {
      if (pl->ncmds > 1)
        return syntax_error("'|' with no command after it");
      if (*tok == T_PIPE)
        return syntax_error("'|' with no command before it");
      if (c->in != NULL || c->out != NULL)
        return syntax_error("a redirection with no command");
    }
    if (*tok != T_PIPE)
      return 0;
    if ((*tok = next_token(lx)) == T_ERROR)
      return -1;
  }
}

// Parse text into ln. 0, or -1 after reporting a syntax error.
static int parse_line(const char *text, struct line *ln) {
  struct lexer lx = {.s = text, .w = ln->words};
  ln->npipes = 0;
  int tok = next_token(&lx);
  while (tok != T_END) {
    if (tok == T_ERROR)
      return -1;
    if (ln->npipes == MAXPIPES)
      return syntax_error("more than %d pipelines in a line", MAXPIPES);
    struct pipeline *pl = &ln->pipes[ln->npipes++];
    if (parse_pipeline(&lx, &tok, pl) < 0)
      return -1;
    // Here tok is '&', ';' or the end, and pl is not empty unless the
    // line had nothing before a separator (";", "a ; ; b").
    if (pl->cmds[0].argc == 0)
      return syntax_error("'%c' with no command before it",
                          tok == T_AMP ? '&' : ';');
    pl->background = tok == T_AMP;
    if (tok != T_END)
      tok = next_token(&lx);
  }
  return 0;
}

// ---- Background commands ----

// Child pid exited with status: if it is a background command, note it
// for the next report. (Other children, a background pipeline's first
// commands, need no note.)
static void note_exit(int pid, int status) {
  for (int i = 0; i < MAXJOBS; i++) {
    if (jobs[i].pid == pid) {
      jobs[i].done = 1;
      jobs[i].status = status;
    }
  }
}

// Report the background commands that have ended, and forget them.
static void report_jobs(void) {
  for (int i = 0; i < MAXJOBS; i++) {
    if (jobs[i].pid != 0 && jobs[i].done) {
      fprintf(2, "[%d] done %d\n", jobs[i].pid, jobs[i].status);
      jobs[i].pid = 0;
    }
  }
}

// Collect every child that has exited, without waiting for those still
// running (trywait answers 0 then), and report the background commands
// among them. Run before each line is read.
static void reap_jobs(void) {
  int pid, status;
  while ((pid = trywait(&status)) > 0)
    note_exit(pid, status);
  report_jobs();
}

// Is some background command still running?
static int jobs_running(void) {
  for (int i = 0; i < MAXJOBS; i++)
    if (jobs[i].pid != 0 && !jobs[i].done)
      return 1;
  return 0;
}

// The built-in wait: wait until every background command has exited,
// and report them.
static int wait_jobs(void) {
  int status;
  while (jobs_running()) {
    int pid = wait(&status);
    if (pid < 0)
      break;                   // cannot happen: they are our children
    note_exit(pid, status);
  }
  report_jobs();
  return 0;
}

// ---- Running commands ----

// Write v in decimal into buf (at least 12 bytes); return buf.
static char *format_int(char *buf, int v) {
  char tmp[12];
  int n = 0;
  unsigned u = v < 0 ? -(unsigned)v : (unsigned)v;
  do {
    tmp[n++] = '0' + u % 10;
    u /= 10;
  } while (u != 0);
  char *p = buf;
  if (v < 0)
    *p++ = '-';
  while (n > 0)
    *p++ = tmp[--n];
  *p = 0;
  return buf;
}

// Fill argv (ended by NULL) with c's words, $? and $! replaced by their
// values, which are written into vals (two buffers of 12 bytes).
static void expand(struct cmd *c, char **argv, char vals[2][12]) {
  format_int(vals[0], last_status);
  format_int(vals[1], last_background);
  for (int i = 0; i < c->argc; i++) {
    struct word *w = &c->argv[i];
    argv[i] = w->var == '?' ? vals[0] : w->var == '!' ? vals[1] : w->text;
  }
  argv[c->argc] = NULL;
}

// Is name one of the built-in commands?
static int is_builtin(const char *name) {
  return strcmp(name, "cd") == 0 || strcmp(name, "exit") == 0 ||
         strcmp(name, "wait") == 0;
}

// Run a built-in command; its exit status. In the shell it changes the
// shell; in a child (in a pipeline or the background) only the child.
static int run_builtin(int argc, char **argv) {
  if (strcmp(argv[0], "wait") == 0)
    return wait_jobs();
  if (argc > 2) {
    fprintf(2, "sh: %s: too many arguments\n", argv[0]);
    return 2;
  }
  if (strcmp(argv[0], "exit") == 0) {
    long status = last_status;
    if (argc == 2 && parse_number(argv[1], &status) < 0) {
      fprintf(2, "sh: exit: %s: not a number\n", argv[1]);
      return 2;
    }
    exit((int)status);
  }
  // cd, with no argument: to the root (there is no home).
  const char *dir = argc == 2 ? argv[1] : "/";
  if (chdir(dir) < 0) {
    fprintf(2, "sh: cd: %s: no such directory\n", dir);
    return 1;
  }
  return 0;
}

// Make descriptor `to` refer to the open file of descriptor `from`, and
// close `from`. dup gives the lowest free descriptor, which after
// close(to) is `to`: the ones below it (0 and 1) are always open here.
static void move_fd(int from, int to) {
  if (from == to)
    return;
  close(to);
  if (dup(from) != to) {
    fprintf(2, "sh: cannot move descriptor %d to %d\n", from, to);
    exit(1);
  }
  close(from);
}

// Open path as descriptor fd: 0 to read it; 1 to write it, emptied first
// or (append) after what it holds. 0, or -1 after reporting why not.
static int redirect(const char *path, int fd, int append) {
  int flags = fd == 0  ? O_RDONLY
              : append ? O_RDWR | O_CREATE
                       : O_WRONLY | O_CREATE | O_TRUNC;
  int f = open(path, flags);
  if (f < 0) {
    fprintf(2, "sh: %s: cannot open\n", path);
    return -1;
  }
  if (append) {
    // There is no seek (and no O_APPEND): read to the end instead, which
    // leaves the file's offset, where write writes, there.
    char buf[512];
    while (read(f, buf, sizeof(buf)) > 0)
      ;
  }
  move_fd(f, fd);
  return 0;
}

// In a child: redirect, then run command c (a program from /bin or a
// path, or a built-in). Never returns.
static void run_command(struct cmd *c) {
  if (script_fd >= 0)
    close(script_fd);          // the script is the shell's, not theirs
  if ((c->in != NULL && redirect(c->in, 0, 0) < 0) ||
      (c->out != NULL && redirect(c->out, 1, c->append) < 0))
    exit(1);
  char *argv[MAXARGS + 1];
  char vals[2][12];
  expand(c, argv, vals);
  if (is_builtin(argv[0]))
    exit(run_builtin(c->argc, argv));
  exec(argv[0], argv);
  fprintf(2, "sh: %s: not found\n", argv[0]);
  exit(127);
}

// Start the commands of pl, each in a child, the output of each going
// through a pipe into the input of the next. Their pids go in pids[];
// returns how many started (fewer than pl->ncmds if fork or pipe failed).
static int start_pipeline(struct pipeline *pl, int *pids) {
  int in = -1;                 // the read end of the previous pipe
  int n;
  for (n = 0; n < pl->ncmds; n++) {
    int last = n == pl->ncmds - 1;
    int fds[2];
    if (!last && pipe(fds) < 0) {
      fprintf(2, "sh: cannot make a pipe\n");
      break;
    }
    int pid = fork();
    if (pid < 0) {
      fprintf(2, "sh: cannot fork\n");
      if (!last) {
        close(fds[0]);
        close(fds[1]);
      }
      break;
    }
    if (pid == 0) {
      // The child: the previous pipe is its input, the new one its
      // output; the ends it does not use are closed, or a reader would
      // never see the end of its input.
      if (in >= 0)
        move_fd(in, 0);
      if (!last) {
        close(fds[0]);
        move_fd(fds[1], 1);
      }
      run_command(&pl->cmds[n]);
    }
    // The shell keeps only the read end, for the next command.
    pids[n] = pid;
    if (in >= 0)
      close(in);
    in = -1;
    if (!last) {
      close(fds[1]);
      in = fds[0];
    }
  }
  if (in >= 0)
    close(in);
  return n;
}

// Wait for the n processes of pids[]; the exit status of the last one.
// Background commands that exit meanwhile are noted for the next report.
static int wait_pipeline(int *pids, int n) {
  int status = 0, left = n;
  while (left > 0) {
    int st, pid = wait(&st);
    if (pid < 0)
      break;                   // cannot happen: they are our children
    int mine = 0;
    for (int i = 0; i < n; i++) {
      if (pids[i] == pid) {
        mine = 1;
        left--;
        if (i == n - 1)
          status = st;
      }
    }
    if (!mine)
      note_exit(pid, st);
  }
  return status;
}

// Run pl in the background: start it, remember its last command as a
// job, print "[pid]". Its exit status (0, or 1 if it could not start).
static int run_background(struct pipeline *pl) {
  int slot = 0;
  while (slot < MAXJOBS && jobs[slot].pid != 0)
    slot++;
  if (slot == MAXJOBS) {
    fprintf(2, "sh: more than %d background commands\n", MAXJOBS);
    return 1;
  }
  int pids[MAXCMDS];
  int n = start_pipeline(pl, pids);
  if (n == 0)
    return 1;
  jobs[slot].pid = pids[n - 1];
  jobs[slot].done = 0;
  last_background = pids[n - 1];
  fprintf(2, "[%d]\n", last_background);
  return n == pl->ncmds ? 0 : 1;
}

// Run pl and wait for it; its exit status. A lone built-in runs in the
// shell itself (cd must change the shell's directory).
static int run_foreground(struct pipeline *pl) {
  struct cmd *c = &pl->cmds[0];
  if (pl->ncmds == 1 && c->argv[0].var == 0 && is_builtin(c->argv[0].text)) {
    if (c->in != NULL || c->out != NULL) {
      fprintf(2, "sh: %s: a built-in command takes no redirection\n",
              c->argv[0].text);
      return 2;
    }
    char *argv[MAXARGS + 1];
    char vals[2][12];
    expand(c, argv, vals);
    return run_builtin(c->argc, argv);
  }
  int pids[MAXCMDS];
  int n = start_pipeline(pl, pids);
  int status = wait_pipeline(pids, n);
  return n == pl->ncmds ? status : 1;
}

// Parse text and run it, pipeline after pipeline.
static void run_text(const char *text) {
  if (strlen(text) >= MAXLINE) {
    fprintf(2, "sh: a line of more than %d bytes\n", MAXLINE - 1);
    last_status = 2;
    return;
  }
  if (parse_line(text, &line) < 0) {
    last_status = 2;
    return;
  }
  for (int i = 0; i < line.npipes; i++) {
    struct pipeline *pl = &line.pipes[i];
    last_status = pl->background ? run_background(pl) : run_foreground(pl);
  }
}

// ---- Reading lines ----

// Read a line from fd into buf (MAXLINE bytes), without its newline. One
// byte at a time, so that nothing past the newline is taken from input
// that the commands go on to read (sh < FILE, a pipe). Its length, or -1
// at the end of the input. A line too long is reported, and comes back
// empty.
static int read_line(int fd, char *buf) {
  int n = 0, too_long = 0;
  char c;
  long r;
  while ((r = read(fd, &c, 1)) == 1 && c != '\n') {
    if (n < MAXLINE - 1)
      buf[n++] = c;
    else
      too_long = 1;
  }
  buf[n] = 0;
  if (r != 1 && n == 0)
    return -1;                 // the end (or an error) before any byte
  if (too_long) {
    fprintf(2, "sh: a line of more than %d bytes\n", MAXLINE - 1);
    last_status = 2;
    buf[0] = 0;
    return 0;
  }
  return n;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "-c") == 0) {
    run_text(argv[2]);
    return last_status;
  }
  if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
    fprintf(2, "usage: sh [FILE | -c LINE]\n");
    return 2;
  }
  int fd = 0;
  if (argc == 2) {
    if ((fd = open(argv[1], O_RDONLY)) < 0) {
      fprintf(2, "sh: %s: cannot open\n", argv[1]);
      return 127;
    }
    script_fd = fd;
  }
  // Prompt only a person: when the commands come from the console.
  struct stat st;
  int interactive = argc == 1 && fstat(0, &st) == 0 &&
                    st.type == STAT_CONSOLE;
  char buf[MAXLINE];
  for (;;) {
    reap_jobs();
    if (interactive)
      fprintf(2, "$ ");
    if (read_line(fd, buf) < 0)
      break;
    run_text(buf);
  }
  if (interactive)
    fprintf(2, "\n");          // Ctrl-D left the cursor after the prompt
  return last_status;
}
