/* disks.c: thin copy-on-write clones of a machine's base images. A disk given with "clone": true is not
 * written at all: the machine gets a qcow2 overlay (QEMU's format, made by qemu-img, so operators can
 * inspect it with the tools they know) in its own directory, whose backing file is the base, opened
 * read-only. Many machines share one base; each overlay holds only the clusters its guest wrote. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mgr/disks.h"
#include "mgr/mproc.h"

extern char **environ;

/* qcow2 or raw, from the first bytes: qemu-img must be told (-F), never left to guess a backing format. */
static const char *image_format(const char *path)
{
    unsigned char magic[4] = {0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (read(fd, magic, 4) != 4)
            magic[0] = 0;
        close(fd);
    }
    return memcmp(magic, "QFI\xfb", 4) == 0 ? "qcow2" : "raw";
}

static bool run_qemu_img(char *const argv[], char *err, size_t errlen)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, "qemu-img", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        snprintf(err, errlen, "cannot run qemu-img (Debian package qemu-utils): %s", strerror(rc));
        return false;
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        snprintf(err, errlen, "qemu-img create failed (status %d)", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        return false;
    }
    return true;
}

bool disks_make_clones(const Daemon *d, Guest *g, char *err, size_t errlen)
{
    cJSON *disks = cJSON_GetObjectItemCaseSensitive(g->config, "disks");
    int i = 0;
    for (cJSON *dk = disks ? disks->child : NULL; dk; dk = dk->next, i++) {
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(dk, "clone")))
            continue;
        const char *base = cJSON_GetObjectItemCaseSensitive(dk, "path")->valuestring;
        const cJSON *size = cJSON_GetObjectItemCaseSensitive(dk, "size_bytes");
        char name[32], image[4400], sizebuf[32];
        snprintf(name, sizeof name, "vd%c.qcow2", 'a' + i);
        mproc_file(d, g, "io", image, sizeof image);
        size_t n = strlen(image);
        snprintf(image + n, sizeof image - n, "/%s", name);
        snprintf(sizebuf, sizeof sizebuf, "%llu", size ? (unsigned long long)size->valuedouble : 0ull);
        char *argv[] = {"qemu-img", "create", "-q", "-f", "qcow2", "-F", (char *)image_format(base), "-b",
                        (char *)base, image, size ? sizebuf : NULL, NULL};
        if (!run_qemu_img(argv, err, errlen))
            return false;
        cJSON_DeleteItemFromObjectCaseSensitive(dk, "image");
        cJSON_AddStringToObject(dk, "image", image);
    }
    return true;
}

const char *disks_image(const cJSON *disk)
{
    const cJSON *img = cJSON_GetObjectItemCaseSensitive(disk, "image");
    return cJSON_IsString(img) ? img->valuestring : cJSON_GetObjectItemCaseSensitive(disk, "path")->valuestring;
}
