/* web_conn: one client connection: bytes through iochan, TLS through memory
 * BIOs, requests one after another (keep-alive, pipelining), and the idle and
 * slow-client timers on the gateway's loop. */
#ifndef GW_WEB_CONN_H
#define GW_WEB_CONN_H
#include "north/web/web_int.h"

/* Adopt an accepted socket (non-blocking); NULL when it could not be set up. */
web_conn *web_conn_new(web_server *srv, int fd, const char *peer, int peer_port);
void web_conn_close(web_conn *c); /* unlinks it from the server */
#endif
