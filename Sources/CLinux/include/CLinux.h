#ifndef C_LINUX_H
#define C_LINUX_H
#include <stddef.h>
#include <sys/types.h>

/// Linux tee(2): duplicates up to `length` bytes from the pipe `in` into the pipe `out` without consuming them or
/// copying them through user space. -1 with errno set on failure (ENOSYS where there is no tee); 0 at end of input.
ssize_t bt_tee(int in, int out, size_t length);

/// Linux splice(2) from the pipe `in` into the file `out` at `*offset` (advanced by what was moved), without copying
/// through user space. -1 with errno set on failure (ENOSYS where there is no splice); 0 at end of input.
ssize_t bt_splice(int in, int out, long long *offset, size_t length);

#endif
