// hyp/dev/vline.c: a guest's console line, its control bytes made
// visible (see hyp/dev/vline.h).
#include "hyp/dev/vline.h"

#define ESC 0x1b
#define DEL 0x7f

// How many more continuation bytes the UTF-8 sequence at the end of the
// line wants: 0 if the line does not end inside one. A sequence is a lead
// byte (110xxxxx, 1110xxxx, 11110xxx: 1, 2 or 3 continuations to come)
// and then continuation bytes (10xxxxxx); RFC 3629, section 3.
static int utf8_wanted(const char *line, int len) {
  for (int k = 1; k <= 4 && k <= len; k++) {
    uint8_t b = (uint8_t)line[len - k];
    if ((b & 0xc0) == 0x80)
      continue;                 // a continuation: the lead is further back
    int need = (b & 0xe0) == 0xc0 ? 1 : (b & 0xf0) == 0xe0 ? 2
             : (b & 0xf8) == 0xf0 ? 3 : 0;
    return need >= k ? need - (k - 1) : 0;
  }
  return 0;
}

// Append n bytes to the line, or say that they do not fit.
static enum vline_result put(char *line, int *len, int max, const char *s,
                             int n) {
  if (*len + n > max)
    return VLINE_FULL;
  for (int i = 0; i < n; i++)
    line[(*len)++] = s[i];
  return VLINE_CHANGED;
}

// A C1 control, 0x80 + x, as ESC 0x40 + x shows it: ^[ and the letter.
static enum vline_result put_c1(char *line, int *len, int max, uint8_t c) {
  char shown[3] = {'^', '[', (char)(c - 0x40)};
  return put(line, len, max, shown, 3);
}

enum vline_result vline_add(char *line, int *len, int max, uint8_t c) {
  if (c == '\n')
    return VLINE_END;
  if (c == '\r')
    return VLINE_SAME;
  if (c == '\b') {
    if (*len == 0)
      return VLINE_SAME;
    (*len)--;
    return VLINE_CHANGED;
  }
  if (c == '\t' || (c >= 0x20 && c < DEL))
    return put(line, len, max, (const char *)&c, 1);
  if (c < 0x20 || c == DEL) {
    char shown[2] = {'^', (char)(c ^ 0x40)};   // ESC ^[, 0x01 ^A, DEL ^?
    return put(line, len, max, shown, 2);
  }
  if (c >= 0x80 && c <= 0x9f) {
    int wanted = utf8_wanted(line, *len);
    if (wanted > 0 && (uint8_t)line[*len - 1] == 0xc2) {
      // C2 80..C2 9F: the UTF-8 form of U+0080..U+009F, a C1 control.
      // The C2 goes; if ^[x does not fit, it comes back for the line
      // to be printed as it was, and the control starts the next line.
      (*len)--;
      enum vline_result r = put_c1(line, len, max, c);
      if (r == VLINE_FULL)
        line[(*len)++] = (char)0xc2;
      return r;
    }
    if (wanted == 0)
      return put_c1(line, len, max, c);   // a lone byte: C1 to an 8-bit terminal
  }
  return put(line, len, max, (const char *)&c, 1);   // the rest of UTF-8
}
