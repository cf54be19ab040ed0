/* mgr/jsonv.h: strict reading of JSON request bodies. Every field must be known and of its type; a refusal
 * fills the response with a 400 that names the field, so a client learns exactly what was wrong. */
#ifndef LODGE_MGR_JSONV_H
#define LODGE_MGR_JSONV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "mgr/http.h"

/* Parse body as one JSON object (no duplicate keys at any depth). NULL with a 400 in r. */
cJSON *jsonv_parse_object(const char *body, size_t len, HttpResponse *r);
/* Every member of obj is named in allowed (NULL-terminated); where names obj in messages ("disks[1]"). */
bool jsonv_only(const cJSON *obj, const char *const *allowed, const char *where, HttpResponse *r);
/* Optional members: absent leaves *out alone; present with the wrong type or out of range is a 400. */
bool jsonv_string(const cJSON *obj, const char *name, const char *where, const char **out, HttpResponse *r);
bool jsonv_uint(const cJSON *obj, const char *name, const char *where, uint64_t min, uint64_t max,
                uint64_t *out, HttpResponse *r);
bool jsonv_bool(const cJSON *obj, const char *name, const char *where, bool *out, HttpResponse *r);
/* An optional array or object member (type cJSON_Array / cJSON_Object); *out NULL when absent. */
bool jsonv_member(const cJSON *obj, const char *name, const char *where, int type, const cJSON **out,
                  HttpResponse *r);
/* A guest or module id: [A-Za-z0-9_.-]{1,64}. */
bool jsonv_valid_id(const char *id);

/* Small JSON writers shared by the API's answers. */
char *jsonv_print(const cJSON *v); /* compact, with a trailing newline; malloc'd */
void jsonv_respond(HttpResponse *r, int status, cJSON *v); /* takes v */

#endif
