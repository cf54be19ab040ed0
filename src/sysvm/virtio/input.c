/* virtio-input: the driver learns what the device is by writing select/subsel into the config space and
 * reading back the answer (name, ids, which event types and codes it sends); events go to the guest as 8-byte
 * {le16 type, le16 code, le32 value} records in the buffers of queue 0; queue 1 (LEDs and the like) is read
 * and ignored. */
#include "sysvm/virtio/input.h"

#include <string.h>

enum { EVENTQ = 0, STATUSQ = 1 };
enum { CFG_ID_NAME = 0x01, CFG_ID_SERIAL = 0x02, CFG_ID_DEVIDS = 0x03, CFG_EV_BITS = 0x11 };
enum { EV_SYN = 0, EV_KEY = 1, SYN_REPORT = 0, KEY_POWER = 116, BUS_VIRTUAL = 6 };
enum { CFG_SELECT = 0, CFG_SUBSEL = 1, CFG_SIZE = 2, CFG_UNION = 8, CFG_LEN = 8 + 128 };

#define NAME "Lodge power button"

/* Fills the answer to the driver's current question (an unknown one has size 0). */
static void answer(VirtioInput *in)
{
    uint8_t *cfg = in->vdev.config, *u = cfg + CFG_UNION;
    memset(cfg + CFG_SIZE, 0, CFG_LEN - CFG_SIZE);
    uint8_t size = 0;
    switch (cfg[CFG_SELECT]) {
    case CFG_ID_NAME:
        size = sizeof NAME - 1;
        memcpy(u, NAME, size);
        break;
    case CFG_ID_SERIAL:
        size = 5;
        memcpy(u, "power", size);
        break;
    case CFG_ID_DEVIDS:                       /* bustype, vendor, product, version (le16 each) */
        u[0] = BUS_VIRTUAL;
        u[4] = 1;
        u[6] = 1;
        size = 8;
        break;
    case CFG_EV_BITS:
        if (cfg[CFG_SUBSEL] == EV_KEY) {
            u[KEY_POWER / 8] = 1u << (KEY_POWER % 8);
            size = KEY_POWER / 8 + 1;
        }
        break;
    default:
        break;
    }
    cfg[CFG_SIZE] = size;
}

static void input_config_write(VirtioDevice *vd, uint64_t off, unsigned size, uint64_t val)
{
    VirtioInput *in = vd->impl;
    for (unsigned i = 0; i < size; i++)
        if (off + i == CFG_SELECT || off + i == CFG_SUBSEL)
            vd->config[off + i] = (uint8_t)(val >> (8 * i));
    answer(in);
}

/* Hands waiting events to the buffers the driver has given. */
static void flush_events(VirtioInput *in)
{
    VirtioDevice *vd = &in->vdev;
    unsigned sent = 0;
    while (sent < in->npending && virtio_dev_live(vd)) {
        VirtqChain c;
        if (virtio_dev_pop(vd, EVENTQ, &c) <= 0)
            break;
        uint32_t w = (uint32_t)virtio_queue_chain_write(&c, vd->mem, 0, in->pending[sent], 8);
        virtio_dev_push(vd, EVENTQ, &c, w);
        sent++;
    }
    memmove(in->pending, in->pending[sent], (in->npending - sent) * 8);
    in->npending -= sent;
}

static void input_notify(VirtioDevice *vd, unsigned q)
{
    VirtioInput *in = vd->impl;
    if (q == EVENTQ) {
        flush_events(in);
        return;
    }
    VirtqChain c;
    while (virtio_dev_pop(vd, STATUSQ, &c) > 0)
        virtio_dev_push(vd, STATUSQ, &c, 0);
}

static void input_reset(VirtioDevice *vd)
{
    VirtioInput *in = vd->impl;
    in->npending = 0;
}

static void queue_event(VirtioInput *in, uint16_t type, uint16_t code, uint32_t value)
{
    if (in->npending == VIRTIO_INPUT_PENDING)
        return;
    uint8_t *e = in->pending[in->npending++];
    e[0] = (uint8_t)type;
    e[1] = (uint8_t)(type >> 8);
    e[2] = (uint8_t)code;
    e[3] = (uint8_t)(code >> 8);
    for (int i = 0; i < 4; i++)
        e[4 + i] = (uint8_t)(value >> (8 * i));
}

bool virtio_input_press_power(VirtioInput *in)
{
    if (!virtio_dev_live(&in->vdev) || in->npending + 4 > VIRTIO_INPUT_PENDING)
        return false;
    queue_event(in, EV_KEY, KEY_POWER, 1);
    queue_event(in, EV_SYN, SYN_REPORT, 0);
    queue_event(in, EV_KEY, KEY_POWER, 0);
    queue_event(in, EV_SYN, SYN_REPORT, 0);
    in->presses++;
    flush_events(in);
    return true;
}

static const VirtioOps input_ops = {
    .name = "virtio-input", .device_id = 18, .notify = input_notify, .reset = input_reset,
    .config_write = input_config_write,
};

void virtio_input_init(VirtioInput *in, const GuestMem *mem)
{
    virtio_dev_init(&in->vdev, &input_ops, in, mem, 0, 2, 64);
    in->npending = 0;
    in->presses = 0;
    in->vdev.config_len = CFG_LEN;
    answer(in);
}
