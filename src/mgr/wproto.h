/* mgr/wproto.h: the protocol between the daemon's worker pool (workers.c) and a worker process
 * (worker.c), over the worker's Unix stream socket.
 *
 * Framing: every message is a 4-byte big-endian length, then that many bytes of JSON (one object).
 * A connection's first message is {"op":"hello","role":"control"} or {"op":"hello","role":"events"}; the
 * worker answers {"ok":true,"pid":N,"instances":N,"threads":N}.
 *
 * Control connection: strictly request then reply, one at a time.
 *   {"op":"create","spec":{"id","module","argv":[..],"env":[..],"dirs":[{"host","guest","ro"}],
 *                          "max_memory","fuel","cpu_weight","stdout","stderr"},
 *    "fds":{"module":I,"stdout":I,"stderr":I,"dirs":[I,..]}}
 *     The files themselves come with the request as descriptors (SCM_RIGHTS; I indexes them), opened by
 *     the daemon: a jailed worker sees no file system but its socket's directory. Without "fds" the
 *     worker opens the paths itself (a worker run by hand, unjailed).
 *   {"op":"start"|"pause"|"resume"|"stop"|"kill"|"remove"|"status","id":ID}
 *   {"op":"list"}                      -> {"ok":true,"instances":[STATUS,...]}
 *   {"op":"info"}                      -> {"ok":true,"pid","instances","threads","stacks","max_threads"...}
 *   {"op":"shutdown"}                  -> {"ok":true}, then every instance is dropped and the worker exits
 * Replies: {"ok":true,"status":STATUS} or {"ok":false,"error":"..."}; a create refused for want of
 * memory or address space adds "full":true (the pool then tries another worker).
 * STATUS: {"id","state":"created|running|paused|stopped|crashed","exit_code","error","memory_bytes",
 *          "cpu_ns","fuel_used"}.
 *
 * Events connection: the worker only writes: {"event":"state","status":STATUS} at every change of an
 * instance's state. The pool learns of a worker's death from this connection's end (and the process's
 * pidfd), so it needs no polling. */
#ifndef LODGE_MGR_WPROTO_H
#define LODGE_MGR_WPROTO_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "mgr/workers.h"

/* Bigger requests are refused (a spec is small); replies may be bigger (a list of every instance). */
#define WPROTO_MAX_REQUEST (1u << 20)
#define WPROTO_MAX_REPLY (256u << 20)

#define WPROTO_MAX_FDS 64

/* Writes one message (the whole of it, retrying short writes). False with errno on failure. */
bool wproto_send(int fd, const cJSON *msg);
/* The same, passing nfds descriptors along (SCM_RIGHTS, with the message's first byte). */
bool wproto_send_fds(int fd, const cJSON *msg, const int *fds, size_t nfds);
/* Reads one message of at most max bytes; timeout_ms < 0 waits forever. NULL on end of stream, error or
 * timeout, with the reason in err. Descriptors that came with it are closed. */
cJSON *wproto_recv(int fd, size_t max, int timeout_ms, char *err, size_t errlen);
/* The same, keeping up to WPROTO_MAX_FDS descriptors that came with the message (close-on-exec) in
 * fds[], their count in *nfds; on failure none are kept. */
cJSON *wproto_recv_fds(int fd, size_t max, int timeout_ms, int *fds, size_t *nfds, char *err, size_t errlen);

/* Instance status <-> JSON. */
cJSON *wproto_status_json(const InstanceStatus *st);
bool wproto_status_parse(const cJSON *o, InstanceStatus *out);
const char *wproto_state_name(lodge_guest_state_t s);

/* A string member, or NULL. A number member as uint64, or dflt. */
const char *wproto_str(const cJSON *o, const char *name);
unsigned long long wproto_num(const cJSON *o, const char *name, unsigned long long dflt);

/* True for a valid instance id: [A-Za-z0-9_.-]{1,64}. */
bool wproto_valid_id(const char *id);

#endif
