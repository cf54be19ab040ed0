/* The console's host side: guest output to stdout or a file (buffered), input from stdin in raw mode when it
 * is a terminal. Ctrl-A x asks the machine to stop; Ctrl-A Ctrl-A sends one Ctrl-A to the guest.
 * TERM_STREAM gives an embedder a socket instead: output never blocks the machine (what the reader leaves
 * unread beyond the socket's buffer and ours is dropped and counted), input is read from the same socket. */
#ifndef LODGE_SYSVM_BACKEND_TERM_H
#define LODGE_SYSVM_BACKEND_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <termios.h>

#include "sysvm/vmerr.h"

typedef enum TermMode { TERM_STDIO, TERM_NONE, TERM_FILE, TERM_STREAM } TermMode;

typedef struct Term {
    int in_fd, out_fd;
    bool own_out;                 /* out_fd was opened here (a file, or our end of the stream) */
    bool stream;                  /* TERM_STREAM: non-blocking output, unsent bytes stay buffered */
    int peer_fd;                  /* TERM_STREAM: the embedder's end of the socket pair, else -1 */
    uint64_t dropped;             /* output bytes dropped because the reader fell behind */
    bool raw;                     /* termios changed; `saved` restores it */
    struct termios saved;
    uint8_t out[4096];
    size_t out_len;
    uint8_t in[256];
    unsigned in_head, in_len;
    bool in_eof, escape;
    bool quit;                    /* Ctrl-A x was typed */
} Term;

bool term_open(Term *t, TermMode mode, const char *file, VmError *err);
/* Flushes output, restores the terminal, closes what it opened. Safe to call twice. */
void term_close(Term *t);
/* Only restores the terminal mode: async-signal-safe, for fatal-signal handlers. */
void term_restore(const Term *t);
void term_putc(Term *t, uint8_t c);
void term_write(Term *t, const void *buf, size_t n);
void term_flush(Term *t);
/* Reads waiting input without blocking. */
void term_poll(Term *t);
/* Next input byte or -1. */
int term_getc(Term *t);
/* The fd to wait on for input, or -1. */
int term_wait_fd(const Term *t);
/* True while output waits in our buffer for the stream's reader (the idle wait then polls more often). */
bool term_pending(const Term *t);

#endif
