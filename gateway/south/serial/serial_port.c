/* serial_port: termios set-up of a field bus line (raw, 8E1 or 8N1, fixed baud). */
#include "south/serial/serial_port.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static speed_t baud_to_speed(long baud) {
    switch (baud) {
    case 300: return B300;
    case 600: return B600;
    case 1200: return B1200;
    case 2400: return B2400;
    case 4800: return B4800;
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    case 460800: return B460800;
    case 921600: return B921600;
    default: return 0;
    }
}

bool serial_speed_known(long baud) {
    return baud_to_speed(baud) != 0;
}

bool serial_baud_supported(long baud) {
    return baud <= 38400 && serial_speed_known(baud);
}

/* Raw mode: no echo, no line editing, no signals, no CR/NL mapping, 8 data bits,
 * receiver on, modem control lines ignored. VMIN=1 with O_NONBLOCK: read() gives
 * EAGAIN when empty and 0 only on hang-up. */
static void make_raw(struct termios *t, serial_framing framing) {
    cfmakeraw(t);
    t->c_cflag &= ~(tcflag_t)(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
    t->c_cflag |= CS8 | CREAD | CLOCAL;
    if (framing == SERIAL_8E1)
        t->c_cflag |= PARENB;
    t->c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
    t->c_cc[VMIN] = 1;
    t->c_cc[VTIME] = 0;
}

/* Open device and read its settings; -1 with the message both callers give. */
static int open_tty(const char *device, struct termios *t, char *err, size_t errlen) {
    int fd = open(device, O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", device, strerror(errno));
        return -1;
    }
    if (tcgetattr(fd, t) != 0) {
        snprintf(err, errlen, "%s: not a serial port: %s", device, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int serial_probe(const char *device, char *err, size_t errlen) {
    struct termios t;
    int fd = open_tty(device, &t, err, errlen);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

/* Do the line's settings already equal want, but for the parity bits? A
 * pseudo-terminal silently drops PARENB, and tcsetattr then fails with EINVAL
 * when nothing it was asked changes anything: the second open of a pty (gwd
 * restarting its M-Bus module, the port reopened after a loss) finds the
 * settings of the first in place. That is a line set up as asked, not an error. */
static bool already_set(int fd, const struct termios *want) {
    struct termios now;
    const tcflag_t parity = PARENB | PARODD | CMSPAR;
    return tcgetattr(fd, &now) == 0 && now.c_iflag == want->c_iflag &&
           now.c_oflag == want->c_oflag && now.c_lflag == want->c_lflag &&
           (now.c_cflag & ~parity) == (want->c_cflag & ~parity) &&
           cfgetispeed(&now) == cfgetispeed(want) && cfgetospeed(&now) == cfgetospeed(want);
}

int serial_open_framed(const char *device, long baud, serial_framing framing, char *err,
                       size_t errlen) {
    speed_t speed = baud_to_speed(baud);
    if (!speed) {
        snprintf(err, errlen, "%s: unsupported baud rate %ld", device, baud);
        return -1;
    }
    struct termios t;
    int fd = open_tty(device, &t, err, errlen);
    if (fd < 0)
        return -1;
    make_raw(&t, framing);
    if (cfsetispeed(&t, speed) != 0 || cfsetospeed(&t, speed) != 0 ||
        (tcsetattr(fd, TCSANOW, &t) != 0 && !(errno == EINVAL && already_set(fd, &t)))) {
        snprintf(err, errlen, "%s: cannot set %s at %ld baud: %s", device,
                 framing == SERIAL_8E1 ? "8E1" : "8N1", baud, strerror(errno));
        close(fd);
        return -1;
    }
    tcflush(fd, TCIOFLUSH);
    return fd;
}

int serial_open(const char *device, long baud, char *err, size_t errlen) {
    if (!serial_baud_supported(baud)) {
        snprintf(err, errlen, "%s: unsupported baud rate %ld", device, baud);
        return -1;
    }
    return serial_open_framed(device, baud, SERIAL_8E1, err, errlen);
}

bool serial_set_baud(int fd, long baud) {
    speed_t speed = baud_to_speed(baud);
    struct termios t;
    if (!speed || tcgetattr(fd, &t) != 0)
        return false;
    return cfsetispeed(&t, speed) == 0 && cfsetospeed(&t, speed) == 0 &&
           tcsetattr(fd, TCSANOW, &t) == 0;
}

void serial_flush_input(int fd) {
    if (fd >= 0)
        tcflush(fd, TCIFLUSH);
}
