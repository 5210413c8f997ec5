#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include "CLinux.h"

ssize_t bt_tee(int in, int out, size_t length) {
#ifdef __linux__
    return tee(in, out, length, 0);
#else
    (void)in; (void)out; (void)length;
    errno = ENOSYS;
    return -1;
#endif
}

ssize_t bt_splice(int in, int out, long long *offset, size_t length) {
#ifdef __linux__
    loff_t position = *offset;
    ssize_t moved = splice(in, NULL, out, &position, length, 0);
    *offset = position;
    return moved;
#else
    (void)in; (void)out; (void)offset; (void)length;
    errno = ENOSYS;
    return -1;
#endif
}
