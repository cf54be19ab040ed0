/* jsonv.c: strict request-body reading over cJSON (see jsonv.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgr/jsonv.h"

static bool has_duplicate_keys(const cJSON *v, const char **dup)
{
    for (const cJSON *a = v->child; a; a = a->next) {
        if (cJSON_IsObject(v))
            for (const cJSON *b = a->next; b; b = b->next)
                if (strcmp(a->string, b->string) == 0) {
                    *dup = a->string;
                    return true;
                }
        if ((cJSON_IsObject(a) || cJSON_IsArray(a)) && has_duplicate_keys(a, dup))
            return true;
    }
    return false;
}

cJSON *jsonv_parse_object(const char *body, size_t len, HttpResponse *r)
{
    if (len == 0) {
        http_fault(r, 400, "a JSON object body is required");
        return NULL;
    }
    if (memchr(body, '\0', len)) {
        http_fault(r, 400, "malformed JSON: NUL byte in the body");
        return NULL;
    }
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts(body, len, &end, false);
    if (!v) {
        size_t at = end && end >= body ? (size_t)(end - body) : 0;
        http_fault(r, 400, "malformed JSON at byte %zu", at);
        return NULL;
    }
    while (end && (size_t)(end - body) < len && strchr(" \t\r\n", *end))
        end++;
    if (end && (size_t)(end - body) < len) {
        http_fault(r, 400, "malformed JSON: trailing data at byte %zu", (size_t)(end - body));
        cJSON_Delete(v);
        return NULL;
    }
    if (!cJSON_IsObject(v)) {
        http_fault(r, 400, "the body must be a JSON object");
        cJSON_Delete(v);
        return NULL;
    }
    const char *dup = NULL;
    if (has_duplicate_keys(v, &dup)) {
        http_fault(r, 400, "duplicate field '%s'", dup);
        cJSON_Delete(v);
        return NULL;
    }
    return v;
}

bool jsonv_only(const cJSON *obj, const char *const *allowed, const char *where, HttpResponse *r)
{
    for (const cJSON *m = obj->child; m; m = m->next) {
        bool known = false;
        for (const char *const *a = allowed; *a && !known; a++)
            known = strcmp(*a, m->string) == 0;
        if (!known)
            return http_fault(r, 400, "unknown field '%s%s%s'", where ? where : "", where ? "." : "", m->string);
    }
    return true;
}

#define WHERE(w) (w) ? (w) : "", (w) ? "." : ""

bool jsonv_string(const cJSON *obj, const char *name, const char *where, const char **out, HttpResponse *r)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!m)
        return true;
    if (!cJSON_IsString(m))
        return http_fault(r, 400, "field '%s%s%s' must be a string", WHERE(where), name);
    *out = m->valuestring;
    return true;
}

bool jsonv_uint(const cJSON *obj, const char *name, const char *where, uint64_t min, uint64_t max,
                uint64_t *out, HttpResponse *r)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!m)
        return true;
    double d = m->valuedouble;
    if (!cJSON_IsNumber(m) || d != floor(d) || d < 0 || d > 9007199254740992.0)
        return http_fault(r, 400, "field '%s%s%s' must be a non-negative integer", WHERE(where), name);
    uint64_t u = (uint64_t)d;
    if (u < min || u > max)
        return http_fault(r, 400, "field '%s%s%s' is %llu; it must be from %llu to %llu", WHERE(where), name,
                          (unsigned long long)u, (unsigned long long)min, (unsigned long long)max);
    *out = u;
    return true;
}

bool jsonv_bool(const cJSON *obj, const char *name, const char *where, bool *out, HttpResponse *r)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!m)
        return true;
    if (!cJSON_IsBool(m))
        return http_fault(r, 400, "field '%s%s%s' must be true or false", WHERE(where), name);
    *out = cJSON_IsTrue(m);
    return true;
}

bool jsonv_member(const cJSON *obj, const char *name, const char *where, int type, const cJSON **out,
                  HttpResponse *r)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    *out = NULL;
    if (!m)
        return true;
    if ((m->type & 0xff) != type)
        return http_fault(r, 400, "field '%s%s%s' must be %s", WHERE(where), name,
                          type == cJSON_Array ? "an array" : "an object");
    *out = m;
    return true;
}

bool jsonv_valid_id(const char *id)
{
    size_t n = strlen(id);
    if (n < 1 || n > 64 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        return false;
    return strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

char *jsonv_print(const cJSON *v)
{
    char *s = cJSON_PrintUnformatted(v);
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *t = realloc(s, n + 2);
    if (!t) {
        free(s);
        return NULL;
    }
    t[n] = '\n';
    t[n + 1] = '\0';
    return t;
}

void jsonv_respond(HttpResponse *r, int status, cJSON *v)
{
    char *s = v ? jsonv_print(v) : NULL;
    cJSON_Delete(v);
    if (!s) {
        http_fault(r, 500, "out of memory");
        return;
    }
    free(r->body);
    r->status = status;
    r->content_type = "application/json";
    r->body = s;
    r->body_len = strlen(s);
}
