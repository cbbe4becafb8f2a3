/* import_tcp: IEC 104 / Modbus TCP captures (pcap/pcapng). Not built yet: the
 * reader and the writer report so instead of guessing. */
#include "import.h"
int import_write_tcp(const import_opts *o, const capture *c, FILE *out, char *err, size_t errlen) {
    snprintf(err, errlen, "pcap captures (IEC 104, Modbus TCP) cannot be imported yet");
    return -1;
}
int capture_read_pcap(const char *path, unsigned port, capture *c, char *err, size_t errlen) {
    snprintf(err, errlen, "%s: pcap captures (IEC 104, Modbus TCP) cannot be imported yet", path);
    return -1;
}
