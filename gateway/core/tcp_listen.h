/* tcp_listen: a listening TCP socket for a server on the loop, and the
 * accept that names the connection's iochan ("tcp:<server port>:<client
 * port>", core/iochan.h). Shared by servers that have no library doing it. */
#ifndef GW_TCP_LISTEN_H
#define GW_TCP_LISTEN_H
#include <stddef.h>

/* Non-blocking, close-on-exec, SO_REUSEADDR, bound to bind_ip:port and
 * listening; -1 with why. */
int tcp_listen_open(const char *bind_ip, int port, char *why, size_t cap);
/* Accept one connection (non-blocking, close-on-exec); its channel name goes
 * to name. -1 when there is none. */
int tcp_listen_accept(int listen_fd, int port, char *name, size_t cap);
#endif
