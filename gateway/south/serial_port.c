/* serial_port: termios set-up of an M-Bus serial line (raw, 8E1, fixed baud). */
#include "serial_port.h"

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
    default: return 0;
    }
}

bool serial_baud_supported(long baud) {
    return baud_to_speed(baud) != 0;
}

/* Raw mode: no echo, no line editing, no signals, no CR/NL mapping, 8E1,
 * receiver on, modem control lines ignored. VMIN/VTIME do not matter for a
 * non-blocking descriptor except that VMIN=1 makes read() return 0 only on hang-up. */
static void make_raw_8e1(struct termios *t) {
    cfmakeraw(t);
    t->c_cflag &= ~(CSIZE | PARODD | CSTOPB | CRTSCTS);
    t->c_cflag |= CS8 | PARENB | CREAD | CLOCAL;
    t->c_iflag &= ~(IXON | IXOFF | IXANY);
    t->c_cc[VMIN] = 1; /* with O_NONBLOCK: EAGAIN when empty, 0 only on hang-up */
    t->c_cc[VTIME] = 0;
}

int serial_open(const char *device, long baud, char *err, size_t errlen) {
    speed_t speed = baud_to_speed(baud);
    if (!speed) {
        snprintf(err, errlen, "%s: unsupported baud rate %ld", device, baud);
        return -1;
    }
    int fd = open(device, O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", device, strerror(errno));
        return -1;
    }
    struct termios t;
    if (tcgetattr(fd, &t) != 0) {
        snprintf(err, errlen, "%s: not a serial port: %s", device, strerror(errno));
        close(fd);
        return -1;
    }
    make_raw_8e1(&t);
    if (cfsetispeed(&t, speed) != 0 || cfsetospeed(&t, speed) != 0 ||
        tcsetattr(fd, TCSANOW, &t) != 0) {
        snprintf(err, errlen, "%s: cannot set 8E1 at %ld baud: %s", device, baud,
                 strerror(errno));
        close(fd);
        return -1;
    }
    tcflush(fd, TCIOFLUSH);
    return fd;
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
