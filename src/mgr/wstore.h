/* mgr/wstore.h: what a worker's instances share: modules (each file loaded and compiled once, kept while
 * an instance uses it) and output files (each path opened once with O_APPEND, kept while an instance
 * writes to it, so thousands of instances logging to few files cost few descriptors). */
#ifndef LODGE_MGR_WSTORE_H
#define LODGE_MGR_WSTORE_H

#include <stddef.h>

#include "lodge.h"
#include "mgr/wsched.h"

typedef struct WShared WShared;

WShared *wshared_new(lodge_engine_t *engine);
void wshared_delete(WShared *w);

/* A reference to the module in file path, or in the file open as fd (the caller closes it; name for
 * messages); loaded when new or changed since. NULL with err. */
WModule *wshared_module(WShared *w, const char *path, char *err, size_t errlen);
WModule *wshared_module_fd(WShared *w, int fd, const char *name, char *err, size_t errlen);
const lodge_module_t *wshared_module_get(const WModule *m);
void wshared_module_release(WShared *w, WModule *m);
size_t wshared_modules(WShared *w);

/* A reference to the output file at path (created if missing, appended to), or open as fd (taken over:
 * kept or closed); NULL with err. */
WOut *wshared_out(WShared *w, const char *path, char *err, size_t errlen);
WOut *wshared_out_take(WShared *w, int fd, char *err, size_t errlen);
int wshared_out_fd(const WOut *o);
void wshared_out_release(WShared *w, WOut *o);
size_t wshared_outs(WShared *w);

#endif
