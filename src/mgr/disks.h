/* mgr/disks.h: a machine's disks: thin copy-on-write clones (qcow2 overlays) of base images. */
#ifndef LODGE_MGR_DISKS_H
#define LODGE_MGR_DISKS_H

#include <stdbool.h>
#include <stddef.h>

#include "mgr/daemon.h"

/* For each disk of g's config with "clone": true, make its overlay in the guest's io/ directory and record
 * it as the disk's "image". False with err when qemu-img cannot make one. */
bool disks_make_clones(const Daemon *d, Guest *g, char *err, size_t errlen);
/* The file the machine opens for a disk of the config: its clone, or the path itself. */
const char *disks_image(const cJSON *disk);

#endif
