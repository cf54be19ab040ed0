/* mgr/wsched_int.h: what the scheduler (wsched.c) and its poll_oneoff (wpoll.c) share, inside a worker. */
#ifndef LODGE_MGR_WSCHED_INT_H
#define LODGE_MGR_WSCHED_INT_H

#include "mgr/wsched.h"

/* Why a coroutine left its runner. */
enum { Y_SLICE = 1, Y_SLEEP, Y_DONE };

/* On the instance's coroutine: back to the runner; returns when a runner (maybe another) resumes it. A
 * Y_SLEEP caller sets in->wake_ns first. */
void wsched_coro_yield(WInst *in, int why);

/* The trampoline module that calls WASI's poll_oneoff on a guest's behalf (one per worker). */
lodge_module_t *wpoll_tramp_new(lodge_engine_t *engine, lodge_error_t *err);
const lodge_module_t *wsched_tramp(const WSched *s);

#endif
