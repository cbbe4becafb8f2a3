/* web_cert: the self-signed certificate made at the first start, the check of
 * an uploaded one, and its description. Validity starts at the gateway clock's
 * wall time (virtual time gives the same certificate dates every run). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <jansson.h>
#include "core/clock.h"
#include "core/text_file.h"
#include "north/web/web_ctx.h"

static void write_cert(FILE *f, const void *arg) { PEM_write_X509(f, (X509 *)arg); }
static void write_key(FILE *f, const void *arg) {
    PEM_write_PrivateKey(f, (EVP_PKEY *)arg, NULL, NULL, 0, NULL, NULL);
}

static bool add_ext(X509 *x, int nid, const char *value) {
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    bool ok = e && X509_add_ext(x, e, -1) == 1;
    X509_EXTENSION_free(e);
    return ok;
}

static X509 *self_signed(EVP_PKEY *key, const char *cn) {
    X509 *x = X509_new();
    if (!x)
        return NULL;
    uint8_t serial[16];
    int64_t now_s = clock_wall_ns() / NS_PER_S;
    BIGNUM *bn = BN_new();
    bool ok = web_random(serial, sizeof serial) && bn;
    serial[0] &= 0x7F;
    ok = ok && BN_bin2bn(serial, sizeof serial, bn) &&
         BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) && X509_set_version(x, 2) &&
         ASN1_TIME_set(X509_getm_notBefore(x), (time_t)(now_s - 3600)) &&
         ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(now_s + 10LL * 365 * 86400)) &&
         X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) &&
         X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"gwd", -1, -1, 0) &&
         X509_set_issuer_name(x, name) &&
         add_ext(x, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1") &&
         add_ext(x, NID_basic_constraints, "critical,CA:FALSE") &&
         add_ext(x, NID_key_usage, "critical,digitalSignature") &&
         add_ext(x, NID_ext_key_usage, "serverAuth") && X509_sign(x, key, EVP_sha256()) > 0;
    BN_free(bn);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

bool web_cert_generate(const char *cn, const char *cert_path, const char *key_path, char *err,
                       size_t cap) {
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = key ? self_signed(key, cn) : NULL;
    bool ok = x != NULL;
    if (!ok)
        snprintf(err, cap, "web: cannot make a certificate: %s",
                 ERR_error_string(ERR_get_error(), NULL));
    mode_t old = umask(077);
    ok = ok && text_file_replace(key_path, write_key, key, true, err, cap);
    umask(old);
    ok = ok && text_file_replace(cert_path, write_cert, x, true, err, cap);
    X509_free(x);
    EVP_PKEY_free(key);
    return ok;
}

bool web_cert_check_pem(const char *cert_pem, const char *key_pem, char *err, size_t cap) {
    BIO *cb = BIO_new_mem_buf(cert_pem, -1), *kb = BIO_new_mem_buf(key_pem, -1);
    X509 *x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
    EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
    bool ok = false;
    if (!x)
        snprintf(err, cap, "the certificate is not a PEM X.509 certificate");
    else if (!k)
        snprintf(err, cap, "the key is not an unencrypted PEM private key");
    else if (X509_check_private_key(x, k) != 1)
        snprintf(err, cap, "the key does not belong to the certificate");
    else
        ok = true;
    ERR_clear_error();
    X509_free(x);
    EVP_PKEY_free(k);
    BIO_free(cb);
    BIO_free(kb);
    return ok;
}

static void name_text(X509_NAME *n, char *out, size_t cap) {
    BIO *b = BIO_new(BIO_s_mem());
    X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253);
    int len = BIO_read(b, out, (int)cap - 1);
    out[len > 0 ? len : 0] = '\0';
    BIO_free(b);
}

static void time_text(const ASN1_TIME *t, char *out) {
    struct tm tm;
    if (ASN1_TIME_to_tm(t, &tm) == 1)
        strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    else
        strcpy(out, "");
}

char *web_cert_describe(const char *cert_path) {
    FILE *f = fopen(cert_path, "r");
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    if (!x)
        return NULL;
    char subject[256], issuer[256], from[32], until[32], fp[3 * 32 + 1] = "";
    unsigned char md[32];
    unsigned n = 0;
    name_text(X509_get_subject_name(x), subject, sizeof subject);
    name_text(X509_get_issuer_name(x), issuer, sizeof issuer);
    time_text(X509_get0_notBefore(x), from);
    time_text(X509_get0_notAfter(x), until);
    X509_digest(x, EVP_sha256(), md, &n);
    for (unsigned i = 0; i < n; i++)
        sprintf(fp + 3 * i, "%02X%s", md[i], i + 1 < n ? ":" : "");
    bool self = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
    X509_free(x);
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}", "subject", subject, "issuer", issuer,
                          "not_before", from, "not_after", until, "sha256", fp, "self_signed", self);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}
