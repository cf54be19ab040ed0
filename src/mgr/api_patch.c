/* api_patch.c: PATCH /v1/machines/{id}: a machine's shares of the host changed while it runs, as
 * Firecracker changes rate limiters with PATCH /drives and /network-interfaces: CPU weight and cap through
 * its cgroup, disk and network token buckets through the machine's own API. The whole request is checked
 * before anything changes; each change is then applied and recorded in the machine's config. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgr/daemon.h"
#include "mgr/jail.h"
#include "mgr/jsonv.h"

static bool check_patch(const Guest *g, const cJSON *o, HttpResponse *r)
{
    static const char *const fields[] = {"limits", "disks", "net", NULL};
    static const char *const disk_fields[] = {"rate_limiter", NULL};
    static const char *const net_fields[] = {"rx_rate_limiter", "tx_rate_limiter", NULL};
    const cJSON *limits, *disks, *net;
    if (!jsonv_only(o, fields, NULL, r) || !jsonv_member(o, "limits", NULL, cJSON_Object, &limits, r) ||
        !jsonv_member(o, "disks", NULL, cJSON_Array, &disks, r) || !jsonv_member(o, "net", NULL, cJSON_Array, &net, r) ||
        !api_check_limits(limits, r))
        return false;
    if (!limits && !disks && !net)
        return http_fault(r, 400, "nothing to change: give limits, disks or net");
    int have = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(g->config, "disks"));
    if (disks && cJSON_GetArraySize(disks) != have)
        return http_fault(r, 400, "field 'disks' has %d entries; machine '%s' has %d disks (give one entry per disk, {} to leave one)",
                          cJSON_GetArraySize(disks), g->id, have);
    int i = 0;
    for (const cJSON *dk = disks ? disks->child : NULL; dk; dk = dk->next, i++) {
        char where[32];
        snprintf(where, sizeof where, "disks[%d]", i);
        if (!cJSON_IsObject(dk))
            return http_fault(r, 400, "field '%s' must be an object", where);
        if (!jsonv_only(dk, disk_fields, where, r) || !api_check_rate_limiter(dk, "rate_limiter", where, r))
            return false;
    }
    have = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(g->config, "net"));
    if (net && cJSON_GetArraySize(net) != have)
        return http_fault(r, 400, "field 'net' has %d entries; machine '%s' has %d interfaces", cJSON_GetArraySize(net),
                          g->id, have);
    for (const cJSON *ni = net ? net->child : NULL; ni; ni = ni->next) {
        if (!cJSON_IsObject(ni))
            return http_fault(r, 400, "field 'net[0]' must be an object");
        if (!jsonv_only(ni, net_fields, "net[0]", r) || !api_check_rate_limiter(ni, "rx_rate_limiter", "net[0]", r) ||
            !api_check_rate_limiter(ni, "tx_rate_limiter", "net[0]", r))
            return false;
    }
    return true;
}

/* dst[name] = a copy of src[name] (when src has it). */
static void record(cJSON *dst, const cJSON *src, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, name);
    if (!v)
        return;
    cJSON_DeleteItemFromObjectCaseSensitive(dst, name);
    cJSON_AddItemToObject(dst, name, cJSON_Duplicate(v, true));
}

static bool apply_limits(Daemon *d, Guest *g, const cJSON *limits, HttpResponse *r)
{
    cJSON *cur = cJSON_GetObjectItemCaseSensitive(g->config, "limits");
    if (!cur)
        cur = cJSON_AddObjectToObject(g->config, "limits");
    record(cur, limits, "cpu_weight");
    record(cur, limits, "cpu_max_percent");
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(cur, "cpu_weight");
    const cJSON *cap = cJSON_GetObjectItemCaseSensitive(cur, "cpu_max_percent");
    char err[256];
    if (!d->cgroups || !jail_set_cpu(d->cgroups, g->id, w ? (unsigned)w->valuedouble : 100,
                                     cap ? (unsigned)cap->valuedouble : 0, err, sizeof err))
        return http_fault(r, 409, "machine '%s': CPU shares cannot be changed: %s", g->id,
                          d->cgroups ? err : "the daemon runs without cgroups (--jail off, or none usable)");
    return true;
}

void api_machines_patch(Daemon *d, Guest *g, const HttpRequest *req, HttpResponse *r)
{
    cJSON *o = jsonv_parse_object(req->body, req->body_len, r);
    if (!o)
        return;
    if (!check_patch(g, o, r))
        goto out;
    if (!(g->state == LODGE_STATE_CREATED || g->state == LODGE_STATE_RUNNING || g->state == LODGE_STATE_PAUSED) ||
        g->pid <= 0) {
        http_fault(r, 409, "machine '%s' is %s: there is nothing left to change", g->id, lodge_state_name(g->state));
        goto out;
    }
    const cJSON *limits = cJSON_GetObjectItemCaseSensitive(o, "limits");
    if (limits && !apply_limits(d, g, limits, r))
        goto out;
    cJSON *cdisks = cJSON_GetObjectItemCaseSensitive(g->config, "disks");
    const cJSON *disks = cJSON_GetObjectItemCaseSensitive(o, "disks");
    int i = 0;
    for (const cJSON *dk = disks ? disks->child : NULL; dk; dk = dk->next, i++) {
        const cJSON *rl = cJSON_GetObjectItemCaseSensitive(dk, "rate_limiter");
        if (!rl)
            continue;
        char id[8], path[32];
        snprintf(id, sizeof id, "vd%c", 'a' + i);
        snprintf(path, sizeof path, "/drives/%s", id);
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "drive_id", id);
        cJSON_AddItemToObject(b, "rate_limiter", cJSON_Duplicate(rl, true));
        if (!api_machine_call(g, "PATCH", path, b, r))
            goto out;
        record(cJSON_GetArrayItem(cdisks, i), dk, "rate_limiter");
    }
    const cJSON *net = cJSON_GetObjectItemCaseSensitive(o, "net");
    if (net && net->child && (cJSON_GetObjectItemCaseSensitive(net->child, "rx_rate_limiter") ||
                              cJSON_GetObjectItemCaseSensitive(net->child, "tx_rate_limiter"))) {
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "iface_id", "eth0");
        record(b, net->child, "rx_rate_limiter");
        record(b, net->child, "tx_rate_limiter");
        if (!api_machine_call(g, "PATCH", "/network-interfaces/eth0", b, r))
            goto out;
        cJSON *cn = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(g->config, "net"), 0);
        record(cn, net->child, "rx_rate_limiter");
        record(cn, net->child, "tx_rate_limiter");
    }
    guests_save(d, g);
    jsonv_respond(r, 200, guests_json(g));
out:
    if (r->status >= 400)
        guests_save(d, g); /* what was applied before a refusal stays applied, and recorded */
    cJSON_Delete(o);
}
