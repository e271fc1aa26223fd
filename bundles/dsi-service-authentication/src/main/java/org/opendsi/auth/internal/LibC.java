package org.opendsi.auth.internal;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/** The few libc calls of a Unix socket server on Linux (x86_64 / aarch64: long = ssize_t = size_t). */
interface LibC extends Library {

    LibC INSTANCE = Native.load("c", LibC.class);

    int AF_UNIX = 1;
    int SOCK_STREAM = 1;
    int SOCK_CLOEXEC = 0x80000;
    int SOL_SOCKET = 1;
    int SO_PEERCRED = 17;
    /** Linux 6.5: a pidfd of the process that connected (the peer as of connect()). */
    int SO_PEERPIDFD = 77;
    long SYS_PIDFD_SEND_SIGNAL = 424;
    long SYS_PIDFD_OPEN = 434;
    int ESRCH = 3;
    int ENOPROTOOPT = 92;
    int SO_RCVTIMEO = 20;
    int SO_SNDTIMEO = 21;
    short POLLIN = 1;
    int SHUT_RDWR = 2;
    int EINTR = 4;
    int EAGAIN = 11;

    int socket(int domain, int type, int protocol);

    int bind(int fd, byte[] addr, int len);

    int listen(int fd, int backlog);

    int accept4(int fd, Pointer addr, Pointer len, int flags);

    /** {@code fds}: struct pollfd as ints: [fd, events | revents << 16] (little-endian shorts). */
    int poll(int[] fds, long nfds, int timeoutMs);

    long read(int fd, byte[] buf, long count);

    long write(int fd, byte[] buf, long count);

    int getsockopt(int fd, int level, int name, int[] value, int[] len);

    int setsockopt(int fd, int level, int name, long[] value, int len);

    int shutdown(int fd, int how);

    int close(int fd);

    /** pidfd_open(pid, flags) and pidfd_send_signal(pidfd, sig, NULL, flags), through syscall(2). */
    int syscall(long number, int a, int b, Pointer c, int d);

    String strerror(int errnum);
}
