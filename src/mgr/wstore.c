/* wstore.c: modules and output files shared by a worker's instances (mgr/wstore.h). Lists, not hash
 * tables: a worker sees a handful of distinct modules and log files even when it runs thousands of
 * instances; an operator who gives each instance its own log pays a linear scan per create. Files are
 * known by identity (device and inode; for modules also size and modification time, so a module file
 * rewritten in place is compiled again), not by name: a jailed worker gets them as descriptors. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mgr/wstore.h"

struct WModule {
    WModule *next;
    char *path;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    lodge_module_t *module;
    size_t refs;
};

struct WOut {
    WOut *next;
    dev_t dev;
    ino_t ino;
    int fd;
    size_t refs;
};

struct WShared {
    pthread_mutex_t mu;
    lodge_engine_t *engine;
    WModule *mods;
    WOut *outs;
};

WShared *wshared_new(lodge_engine_t *engine)
{
    WShared *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    pthread_mutex_init(&w->mu, NULL);
    w->engine = engine;
    return w;
}

void wshared_delete(WShared *w)
{
    if (!w)
        return;
    for (WModule *m = w->mods, *n; m; m = n) {
        n = m->next;
        lodge_module_delete(m->module);
        free(m->path);
        free(m);
    }
    for (WOut *o = w->outs, *n; o; o = n) {
        n = o->next;
        close(o->fd);
        free(o);
    }
    pthread_mutex_destroy(&w->mu);
    free(w);
}

static lodge_module_t *load(lodge_engine_t *engine, int fd, const char *name, size_t len, char *err, size_t errlen)
{
    uint8_t *bytes = malloc(len ? len : 1);
    size_t got = 0;
    while (bytes && got < len) {
        ssize_t n = pread(fd, bytes + got, len - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (!bytes || got != len) {
        snprintf(err, errlen, "cannot read module %s", name);
        free(bytes);
        return NULL;
    }
    lodge_error_t e;
    lodge_module_t *m = lodge_module_new(engine, bytes, len, &e);
    free(bytes);
    if (!m)
        snprintf(err, errlen, "module %s: %s", name, e.message);
    return m;
}

static bool same_file(const WModule *m, const struct stat *st)
{
    return m->dev == st->st_dev && m->ino == st->st_ino && m->size == st->st_size &&
           m->mtime.tv_sec == st->st_mtim.tv_sec && m->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

WModule *wshared_module_fd(WShared *w, int fd, const char *name, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "module %s is not a regular file", name);
        return NULL;
    }
    /* The same file, unchanged (device, inode, size, modification time), is compiled once. */
    pthread_mutex_lock(&w->mu);
    for (WModule *m = w->mods; m; m = m->next)
        if (same_file(m, &st)) {
            m->refs++;
            pthread_mutex_unlock(&w->mu);
            return m;
        }
    pthread_mutex_unlock(&w->mu);
    /* Compiled outside the lock: a big module does not hold up other creates. */
    lodge_module_t *mod = load(w->engine, fd, name, (size_t)st.st_size, err, errlen);
    if (!mod)
        return NULL;
    WModule *m = calloc(1, sizeof *m);
    if (!m || !(m->path = strdup(name))) {
        free(m);
        lodge_module_delete(mod);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    m->module = mod;
    m->dev = st.st_dev;
    m->ino = st.st_ino;
    m->size = st.st_size;
    m->mtime = st.st_mtim;
    m->refs = 1;
    pthread_mutex_lock(&w->mu);
    m->next = w->mods;
    w->mods = m;
    pthread_mutex_unlock(&w->mu);
    return m;
}

WModule *wshared_module(WShared *w, const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open module %s: %s", path, strerror(errno));
        return NULL;
    }
    WModule *m = wshared_module_fd(w, fd, path, err, errlen);
    close(fd);
    return m;
}

const lodge_module_t *wshared_module_get(const WModule *m)
{
    return m->module;
}

void wshared_module_release(WShared *w, WModule *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&w->mu);
    if (--m->refs == 0) {
        for (WModule **pp = &w->mods; *pp; pp = &(*pp)->next)
            if (*pp == m) {
                *pp = m->next;
                break;
            }
    } else {
        m = NULL;
    }
    pthread_mutex_unlock(&w->mu);
    if (m) {
        lodge_module_delete(m->module);
        free(m->path);
        free(m);
    }
}

size_t wshared_modules(WShared *w)
{
    size_t n = 0;
    pthread_mutex_lock(&w->mu);
    for (WModule *m = w->mods; m; m = m->next)
        n++;
    pthread_mutex_unlock(&w->mu);
    return n;
}

WOut *wshared_out_take(WShared *w, int fd, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "an output file: %s", strerror(errno));
        close(fd);
        return NULL;
    }
    pthread_mutex_lock(&w->mu);
    for (WOut *o = w->outs; o; o = o->next)
        if (o->dev == st.st_dev && o->ino == st.st_ino) {
            o->refs++;
            pthread_mutex_unlock(&w->mu);
            close(fd);
            return o;
        }
    WOut *o = calloc(1, sizeof *o);
    if (!o) {
        pthread_mutex_unlock(&w->mu);
        snprintf(err, errlen, "out of memory");
        close(fd);
        return NULL;
    }
    o->fd = fd;
    o->dev = st.st_dev;
    o->ino = st.st_ino;
    o->refs = 1;
    o->next = w->outs;
    w->outs = o;
    pthread_mutex_unlock(&w->mu);
    return o;
}

WOut *wshared_out(WShared *w, const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    return wshared_out_take(w, fd, err, errlen);
}

int wshared_out_fd(const WOut *o)
{
    return o ? o->fd : -1;
}

void wshared_out_release(WShared *w, WOut *o)
{
    if (!o)
        return;
    pthread_mutex_lock(&w->mu);
    if (--o->refs == 0) {
        for (WOut **pp = &w->outs; *pp; pp = &(*pp)->next)
            if (*pp == o) {
                *pp = o->next;
                break;
            }
    } else {
        o = NULL;
    }
    pthread_mutex_unlock(&w->mu);
    if (o) {
        close(o->fd);
        free(o);
    }
}

size_t wshared_outs(WShared *w)
{
    size_t n = 0;
    pthread_mutex_lock(&w->mu);
    for (WOut *o = w->outs; o; o = o->next)
        n++;
    pthread_mutex_unlock(&w->mu);
    return n;
}
