/* The CMe3100 key file: wildcards, precedence, and the manual's Figure 8
 * example whose malformed keys must be rejected with their line numbers. */
#include "tests/test.h"
#include "codec/wmbus/wmbus_build.h"
#include "south/wmbus/wmbus_keys.h"

static const char *const GOOD =
    "Address;Key;Manufacturer;DeviceType;Version\r\n"
    "-1;00000000000000000000000000000000;*;-1;-1\r\n"
    "# comment\r\n"
    "\r\n"
    "-1;11111111111111111111111111111111;ELV;-1;-1\r\n"
    "13360079;A1B2C3D4E5F6A1B2C3D4E5F678910111;ELV;-1;-1\r\n"
    "-1;22222222222222222222222222222222;ELV;7;2\r\n"
    "-1;33333333333333333333333333333333;ELV;0x07;-1\r\n";

static void test_precedence(void) {
    wmbus_keys k;
    char err[256];
    CHECK_MSG(wmbus_keys_parse(GOOD, "good.csv", &k, err, sizeof err), "%s", err);
    CHECK_INT(k.n, 5);
    const uint8_t *c[8];
    uint16_t elv = wmbus_manufacturer_code("ELV"), kam = wmbus_manufacturer_code("KAM");
    size_t n = wmbus_keys_match(&k, 0x13360079, elv, 2, 7, c, 8);
    CHECK_INT(n, 5);
    CHECK_INT(c[0][0], 0xA1); /* address */
    CHECK_INT(c[1][0], 0x22); /* manufacturer + type + version */
    CHECK_INT(c[2][0], 0x33); /* manufacturer + type */
    CHECK_INT(c[3][0], 0x11); /* manufacturer */
    CHECK_INT(c[4][0], 0x00); /* all wildcards */
    n = wmbus_keys_match(&k, 0x12345678, kam, 2, 7, c, 8);
    CHECK_INT(n, 1);
    CHECK_INT(c[0][0], 0x00);
    n = wmbus_keys_match(&k, 0x12345678, elv, 1, 4, c, 2); /* capped */
    CHECK_INT(n, 2);
    wmbus_keys_free(&k);
}

static void expect_error(const char *text, const char *want) {
    wmbus_keys k = {0};
    char err[256] = "";
    CHECK(!wmbus_keys_parse(text, "keys.csv", &k, err, sizeof err));
    CHECK_MSG(strstr(err, want) != NULL, "\"%s\" does not contain \"%s\"", err, want);
    CHECK(k.entries == NULL);
}

static void test_figure8(void) {
    /* the manual's example, verbatim: row 2 has 31 characters */
    expect_error("address,key,manufacturer,deviceType,version\n"
                 "-1,AAAABBBCCCCDDDDEEEEFFFF11112222,*,-1,-1\n"
                 "13360079,A1B2C3D4E5F6A1B2C3D4E5F678910111,ELV,-1,-1\n",
                 "keys.csv:2:4: key must be 32 hex characters (AES-128), this one has 31");
    expect_error("address,key,manufacturer,deviceType,version\n"
                 "-1,FFEEDDCCBBAA99887766554433221100,*,-1,-1\n"
                 "-1,AAAA1111BBBB2222CCCC3333DDDD44444,ACA,-1,-1\n",
                 "keys.csv:3:4: key must be 32 hex characters (AES-128), this one has 33");
    expect_error("-1,FFEEDDCCBBAA99887766554433221100,*,-1\n", "keys.csv:1:1: expected 5 columns");
    expect_error("-1,FFEEDDCCBBAA9988776655443322110G,*,-1,-1\n", "keys.csv:1:35: key: 'G' is not a hex digit");
    expect_error("1336007,FFEEDDCCBBAA99887766554433221100,*,-1,-1\n", "keys.csv:1:1: address must be");
    expect_error("-1,FFEEDDCCBBAA99887766554433221100,elv,-1,-1\n", "keys.csv:1:37: manufacturer");
    expect_error("-1,FFEEDDCCBBAA99887766554433221100,*,300,-1\n", "keys.csv:1:39: deviceType");
}

static void test_load_fixture(void) {
    wmbus_keys k;
    char err[256];
    CHECK(!wmbus_keys_load("fixtures/wmbus/keys_figure8.csv", &k, err, sizeof err));
    CHECK_MSG(strstr(err, "keys_figure8.csv:2:4:") != NULL, "%s", err);
    CHECK(wmbus_keys_load("fixtures/wmbus/keys.csv", &k, err, sizeof err));
    CHECK_INT(k.n, 3);
    wmbus_keys_free(&k);
    CHECK(!wmbus_keys_load("fixtures/wmbus/none.csv", &k, err, sizeof err));
}

int main(void) {
    test_precedence();
    test_figure8();
    test_load_fixture();
    return test_summary("test_wmbus_keys");
}
