/* pty_channel: pseudo-terminals for the serial buses (see pty_channel.h). */
#include "sim/core/pty_channel.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "sim/core/wire.h"

static int set_raw(int fd, unsigned baud) {
    struct termios tio;
    if (tcgetattr(fd, &tio) < 0) return -1;
    cfmakeraw(&tio);
    /* Not quite what the gateway will set: glibc's tcsetattr fails with EINVAL when
     * none of the requested changes takes effect, and a pty silently drops PARENB,
     * so a line already at "8E1 minus parity" would make the gateway's set-up fail.
     * Leaving CLOCAL off guarantees its call changes something. */
    tio.c_cflag |= CREAD;
    tio.c_cflag &= ~(CLOCAL | PARENB | PARODD | CSTOPB);
    tio.c_cc[VMIN] = 1;
    tio.c_cc[VTIME] = 0;
    unsigned speed = wire_speed_from_baud(baud);
    if (speed != (unsigned)-1) {
        cfsetispeed(&tio, speed);
        cfsetospeed(&tio, speed);
    }
    return tcsetattr(fd, TCSANOW, &tio);
}

int pty_channel_open(pty_channel *ch, unsigned baud, char *err, size_t errlen) {
    ch->master = ch->slave = -1;
    ch->path[0] = '\0';
    ch->io = NULL;
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0) {
        snprintf(err, errlen, "cannot open a pseudo-terminal: %s", strerror(errno));
        if (m >= 0) close(m);
        return -1;
    }
    if (ptsname_r(m, ch->path, sizeof ch->path) != 0) {
        snprintf(err, errlen, "ptsname: %s", strerror(errno));
        close(m);
        return -1;
    }
    int s = open(ch->path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0 || set_raw(s, baud) < 0) {
        snprintf(err, errlen, "cannot set up %s: %s", ch->path, strerror(errno));
        if (s >= 0) close(s);
        close(m);
        return -1;
    }
    ch->master = m;
    ch->slave = s;
    ch->io = iochan_open(m, ch->path, false);
    if (!ch->io) {
        snprintf(err, errlen, "out of memory");
        pty_channel_close(ch);
        return -1;
    }
    return 0;
}

void pty_channel_close(pty_channel *ch) {
    iochan_close(ch->io);
    ch->io = NULL;
    if (ch->master >= 0) close(ch->master);
    if (ch->slave >= 0) close(ch->slave);
    ch->master = ch->slave = -1;
}

unsigned pty_channel_baud(const pty_channel *ch) {
    struct termios tio;
    if (ch->master < 0 || tcgetattr(ch->master, &tio) < 0) return 0;
    return wire_baud_from_speed(cfgetospeed(&tio));
}
