/* summary.h: a module's exports and their result types (function results, or a global's type), for
 * script conversion. */
#ifndef LODGE_WAT_SUMMARY_H
#define LODGE_WAT_SUMMARY_H

#include "wat/parse.h"

typedef struct WatExportInfo {
    WatBuf name;
    uint8_t kind;       /* 0 func, 1 table, 2 memory, 3 global */
    WatBuf types;       /* value-type bytes */
} WatExportInfo;

typedef struct WatSummary {
    WatExportInfo *ex;
    uint32_t nex;
} WatSummary;

/* Append the exports of a parsed text module. */
void wat_summary_text(const WatModule *m, WatSummary *sum);
/* Append the exports of a binary module; stops quietly at anything malformed (the summary only serves
 * later actions, and a malformed module has none). */
void wat_summary_binary(const uint8_t *bytes, size_t len, WatSummary *sum);
void wat_summary_free(WatSummary *sum);

#endif
