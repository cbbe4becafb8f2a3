/* modbus_server_request: what to answer a request (see mbs_decide in
 * modbus_server_int.h). Order of checks, as the Modbus application protocol
 * specifies: function code, then quantity, then address range. */
#include <string.h>
#include "north/modbus/modbus_server_int.h"

/* The image a request for `unit` reads, or NULL when no such unit is served. */
static const mbs_unit *unit_image(const mbs_state *st, int unit, bool tcp) {
    const modbus_server_config *c = st->cfg;
    if (c->muc.multi_slave) return mbs_image_find(&st->img, unit);
    if (tcp && c->unit_id != MBS_ANY_UNIT && unit != c->unit_id) return NULL;
    return mbs_image_find(&st->img, MBS_ANY_UNIT);
}

static void exception(mbs_decision *out, int code) {
    out->kind = MBS_REPLY_EXCEPTION;
    out->exception = code;
}

/* FC 0x2B / MEI 0x0E, read device id codes 1 (basic) and 2 (regular), stream
 * access from the object asked for; code 4 reads one object. */
static void device_id(const mbs_state *st, const uint8_t *pdu, size_t len, mbs_decision *out) {
    const modbus_server_config *c = st->cfg;
    const char *objects[7] = {c->vendor, c->product_code, c->revision, c->vendor_url,
                              c->product_name, c->model, c->application};
    if (len < 4 || pdu[1] != 0x0E) return exception(out, MB_EX_ILLEGAL_FUNCTION);
    uint8_t code = pdu[2], first = pdu[3];
    if (code < 1 || code > 4) return exception(out, MB_EX_ILLEGAL_VALUE);
    unsigned last = code == 1 ? 2 : 6;
    if (code == 4) {
        if (first > 6) return exception(out, MB_EX_ILLEGAL_ADDRESS);
        last = first;
    } else if (first > last) {
        first = 0;
    }
    uint8_t *r = out->pdu;
    size_t n = 0;
    r[n++] = MB_FC_DEVICE_ID;
    r[n++] = 0x0E;
    r[n++] = code;
    r[n++] = code == 1 ? 0x81 : 0x82; /* conformity: basic/regular, stream and individual */
    r[n++] = 0;                        /* more follows: everything fits */
    r[n++] = 0;                        /* next object id */
    size_t count_at = n++;
    unsigned count = 0;
    for (unsigned id = first; id <= last; id++) {
        size_t sl = strlen(objects[id]);
        if (sl > 64) sl = 64;
        if (n + 2 + sl > sizeof out->pdu) break;
        r[n++] = (uint8_t)id;
        r[n++] = (uint8_t)sl;
        memcpy(r + n, objects[id], sl);
        n += sl;
        count++;
    }
    r[count_at] = (uint8_t)count;
    out->kind = MBS_REPLY_DEVICE_ID;
    out->pdu_len = n;
}

void mbs_decide(const mbs_state *st, int unit, bool tcp, const uint8_t *pdu, size_t len,
                mbs_decision *out) {
    out->kind = MBS_REPLY_NONE;
    out->exception = 0;
    if (len < 1) return;
    uint8_t fc = pdu[0];
    const mbs_unit *u = unit_image(st, unit, tcp);
    if (!u) {
        /* RTU: another slave's request; TCP: no such unit behind this gateway */
        if (tcp) exception(out, MB_EX_GATEWAY_TARGET);
        return;
    }
    out->req.function = fc;
    switch (fc) {
    case MB_FC_READ_COILS: case MB_FC_READ_DISCRETE:
    case MB_FC_READ_HOLDING: case MB_FC_READ_INPUT: break;
    case MB_FC_WRITE_COIL: case MB_FC_WRITE_REGISTER:
    case MB_FC_WRITE_COILS: case MB_FC_WRITE_REGISTERS:
        return exception(out, MB_EX_ILLEGAL_ADDRESS); /* read only, as the MUC500 */
    case MB_FC_DEVICE_ID: return device_id(st, pdu, len, out);
    default: return exception(out, MB_EX_ILLEGAL_FUNCTION);
    }
    if (!mb_parse_read_req(pdu, len, &out->req) || len != 5)
        return exception(out, MB_EX_ILLEGAL_VALUE);
    bool bits = fc == MB_FC_READ_COILS || fc == MB_FC_READ_DISCRETE;
    unsigned max = bits ? MB_MAX_READ_BITS : MB_MAX_READ_REGISTERS;
    if (out->req.count < 1 || out->req.count > max) return exception(out, MB_EX_ILLEGAL_VALUE);
    if ((uint32_t)out->req.address + out->req.count > 65536)
        return exception(out, MB_EX_ILLEGAL_ADDRESS);
    if (!mbs_image_read(u, mbs_bank_of_function(fc), out->req.address, out->req.count, out->items))
        return exception(out, MB_EX_ILLEGAL_ADDRESS);
    out->kind = MBS_REPLY_READ;
}
