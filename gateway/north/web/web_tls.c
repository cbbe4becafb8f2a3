/* web_tls: the server's TLS context: TLS 1.2 and 1.3 only, forward-secret
 * AEAD ciphers only, no renegotiation, no compression. The bytes themselves
 * go through memory BIOs (web_conn.c), so OpenSSL never touches a socket. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/err.h>
#include "north/web/web_int.h"

/* TLS 1.2: ECDHE with AES-GCM or ChaCha20-Poly1305 (ECDSA or RSA keys);
 * TLS 1.3 has only such suites and keeps OpenSSL's default list. */
static const char tls12_ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

static void ssl_err(char *err, size_t cap, const char *what, const char *path) {
    char why[256];
    ERR_error_string_n(ERR_get_error(), why, sizeof why);
    snprintf(err, cap, "web: %s %s: %s", what, path, why);
}

SSL_CTX *web_tls_context(const web_config *cfg, const char *cert_path, const char *key_path,
                         char *err, size_t cap) {
    if (access(cert_path, R_OK) != 0 || access(key_path, R_OK) != 0) {
        if (!web_cert_generate(cfg->gateway_name, cert_path, key_path, err, cap))
            return NULL;
    }
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        snprintf(err, cap, "web: no TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    if (SSL_CTX_set_cipher_list(ctx, tls12_ciphers) != 1) {
        ssl_err(err, cap, "cipher list", "");
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_path) != 1) {
        ssl_err(err, cap, "certificate", cert_path);
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_path, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        ssl_err(err, cap, "key", key_path);
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}
