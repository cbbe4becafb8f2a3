/* report_xml: MUC500 XML report, versions XML-3, -6, -7, -8, -9 (manual §3.6,
 * Tables 20 and 21, and the XML-3 sample).
 *
 * Attributes per version follow Table 21. Choices where the manual is silent:
 *  - DESCRIPTION and MEDIUM in upper case for XML-3 ... XML-8 (the XML-3 sample
 *    writes VOLUME / WATER); XML-9 writes the Table 28/27 texts as JSON does.
 *  - INTERFACE numeric (2 M-Bus, 5 wM-Bus, 11 Modbus, 10 System) up to XML-8,
 *    the JSON texts (Mbus, wMbus, ...) in XML-9.
 *  - OBIS_ID is written only in XML-8, holding the raw DIF/DIFE VIF/VIFE bytes
 *    (nothing configures OBIS codes, so the other versions leave it out).
 *  - Values, scales and units as in JSON (raw integer in VAL, Wh as kWh). */
#include <ctype.h>
#include <string.h>

#include "core/dp_address.h"
#include "north/report/report_int.h"

static void xml_text(FILE *out, const char *s) {
    for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
        switch (*c) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        default:
            if (*c < 0x20 && *c != '\t' && *c != '\n')
                fputc('?', out); /* not allowed in XML 1.0 */
            else
                fputc(*c, out);
        }
    }
}

static void attr(FILE *out, const char *name, const char *value, bool upper) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", value ? value : "");
    if (upper)
        for (char *c = buf; *c; c++)
            *c = (char)toupper((unsigned char)*c);
    fprintf(out, " %s=\"", name);
    xml_text(out, buf);
    fputc('"', out);
}

static const char *version_attr(int v) {
    switch (v) {
    case 3: return "1F4";
    case 6: return "1F7";
    case 7: return "1F8";
    case 8: return "1F9";
    default: return "9";
    }
}

bool report_xml_version_ok(int v) {
    return v == 3 || v == 6 || v == 7 || v == 8 || v == 9;
}

static int interface_code(const char *interface) {
    if (interface && strcmp(interface, "mbus") == 0)
        return 2;
    if (interface && strcmp(interface, "wmbus") == 0)
        return 5;
    if (interface && strcmp(interface, "modbus") == 0)
        return 11;
    return 10; /* System */
}

static void write_entry(FILE *out, const dp *p) {
    char val[160];
    fputs("        <entry>\n", out);
    if (p->origin.meter_ts_ns)
        fprintf(out, "          <parameter NAME=\"T\">%lld</parameter>\n",
                (long long)report_unix_s(p->origin.meter_ts_ns));
    fprintf(out, "          <parameter NAME=\"T_MUC\">%lld</parameter>\n",
            (long long)report_unix_s(p->ts_ns));
    report_value_text(p, val, sizeof val);
    fputs("          <parameter NAME=\"VAL\">", out);
    xml_text(out, val);
    fputs("</parameter>\n        </entry>\n", out);
}

static void write_data(FILE *out, const rpt_meter *rm, const dp *p, int v) {
    rpt_unit u = report_unit(p->unit, true);
    char scale[80], obis[128];
    bool upper = v < 9;
    report_decimal_shift(1, report_scale_exp(p) + u.shift, scale, sizeof scale);
    fputs("      <data", out);
    /* Attribute order of the manual's XML-3 sample: DESCRIPTION UNIT SCALE MEDIUM OBIS_ID. */
    attr(out, "DESCRIPTION", report_description(p->origin.quantity), upper);
    attr(out, "UNIT", u.text, false);
    attr(out, "SCALE", scale, false);
    if (v < 9 && rm->meter->manufacturer && *rm->meter->manufacturer)
        attr(out, "MEDIUM", report_medium_name(rm->meter->medium), true);
    dp_mbus_address a;
    bool mbus = dp_mbus_address_of(&p->origin, &a);
    /* XML-8's OBIS_ID: a DLMS point's logical name, an M-Bus record's DIF and VIF bytes */
    if (v == 8 && (mbus || dp_dlms_obis_of(&p->origin, obis, sizeof obis))) {
        if (mbus)
            snprintf(obis, sizeof obis, "%s %s", a.dif_hex, a.vif_hex);
        attr(out, "OBIS_ID", obis, false);
    }
    if (v == 9 && mbus) {
        attr(out, "DIF", a.dif_hex, false);
        attr(out, "VIF", a.vif_hex, false);
    }
    fputs(">\n", out);
    write_entry(out, p);
    fputs("      </data>\n", out);
}

static void write_meter(FILE *out, const rpt_meter *rm, int v) {
    const dh_meter *m = rm->meter;
    char num[16];
    bool known = m->manufacturer && *m->manufacturer;
    fputs("    <meter", out);
    attr(out, "METER_ID", m->serial ? m->serial : "", false);
    if (v == 9) {
        attr(out, "INTERFACE", report_interface_name(m->interface), false);
    } else {
        snprintf(num, sizeof num, "%d", interface_code(m->interface));
        attr(out, "INTERFACE", num, false);
    }
    if (v >= 6 && m->name && *m->name)
        attr(out, "USER", m->name, false);
    if (v >= 7 && known) {
        attr(out, "MAN", m->manufacturer, false);
        snprintf(num, sizeof num, "%d", m->version);
        attr(out, "VER", num, false);
        attr(out, "MED", report_medium_name(m->medium), v < 9);
        if (v == 9) {
            snprintf(num, sizeof num, "%d", m->medium);
            attr(out, "MED_ID", num, false);
        }
    }
    fputs(">\n", out);
    for (size_t i = 0; i < rm->n_points; i++)
        write_data(out, rm, rm->points[i], v);
    fputs("    </meter>\n", out);
}

int report_write_xml(FILE *out, const rpt_doc *doc, int version) {
    fputs("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<interface MESSAGE_TYPE=\"1\">\n", out);
    fputs("  <muc", out);
    attr(out, "MUC_ID", doc->muc_id, false);
    attr(out, "VERSION", version_attr(version), false);
    fprintf(out, " TIMESTAMP=\"%lld\"", (long long)report_unix_s(doc->ts_ns));
    if (doc->report_id > 0) /* not MUC500: for deduplication */
        fprintf(out, " REPORT_ID=\"%lld\"", (long long)doc->report_id);
    fputs(">\n", out);
    for (size_t i = 0; i < doc->n_meters; i++)
        write_meter(out, &doc->meters[i], version);
    fputs("  </muc>\n</interface>\n", out);
    return ferror(out) ? -1 : 0;
}
