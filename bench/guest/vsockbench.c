// vsockbench: vsock throughput and round-trip client, run inside the guest (static).
//   vsockbench send PORT MIB    connect to host CID 2:PORT, write MIB MiB, close
//   vsockbench recv PORT        connect to host CID 2:PORT, read until EOF
//   vsockbench rtt PORT COUNT   connect to an echo server at 2:PORT, COUNT 1-byte round trips
// Prints "BENCH <name> <value> <unit>".
#define _GNU_SOURCE
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int connect_host(unsigned port) {
    for (int attempt = 0; attempt < 100; attempt++) {
        int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
        struct sockaddr_vm addr = {.svm_family = AF_VSOCK, .svm_port = port, .svm_cid = 2};
        if (fd >= 0 && connect(fd, (struct sockaddr*)&addr, sizeof addr) == 0)
            return fd;
        if (fd >= 0)
            close(fd);
        usleep(100000);
    }
    perror("connect");
    exit(1);
}

int main(int argc, char** argv) {
    if (argc < 3)
        return 2;
    unsigned port = (unsigned)atoi(argv[2]);
    static char buf[1 << 16];
    int fd = connect_host(port);
    double t0 = now();
    if (!strcmp(argv[1], "send") && argc == 4) {
        long long left = atoll(argv[3]) << 20, total = left;
        memset(buf, 0x5a, sizeof buf);
        while (left > 0) {
            ssize_t n = write(fd, buf, left < (long long)sizeof buf ? (size_t)left : sizeof buf);
            if (n <= 0) {
                perror("write");
                return 1;
            }
            left -= n;
        }
        shutdown(fd, SHUT_WR);
        while (read(fd, buf, sizeof buf) > 0) {
        }
        printf("BENCH guest-to-host %.1f MiB/s\n", total / (now() - t0) / 1048576.0);
    } else if (!strcmp(argv[1], "recv")) {
        long long total = 0;
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0)
            total += n;
        printf("BENCH host-to-guest %.1f MiB/s (%lld bytes)\n", total / (now() - t0) / 1048576.0,
               total);
    } else if (!strcmp(argv[1], "rtt") && argc == 4) {
        int count = atoi(argv[3]);
        char c = 'x';
        t0 = now();
        for (int i = 0; i < count; i++) {
            if (write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1) {
                perror("rtt");
                return 1;
            }
        }
        printf("BENCH round-trip %.1f us\n", (now() - t0) / count * 1e6);
    } else {
        return 2;
    }
    close(fd);
    return 0;
}
