// p9bench: file-system metadata rates without a fork per file, run inside the guest
// (static) on a 9p mount by guest/initramfs/actions/bench-9p.sh:
//   p9bench DIR N    creates N empty files in DIR (open O_CREAT + close), stats each,
//                    unlinks each; prints "BENCH meta-<op> <files/s> files/s" per phase
// Exit 1 (with "BENCH-ERROR ...") when any call fails.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

enum op { CREATE, STAT, UNLINK };

static int one(int dir, enum op op, const char* name) {
    struct stat st;
    switch (op) {
    case CREATE: {
        int fd = openat(dir, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
        return fd < 0 ? -1 : close(fd);
    }
    case STAT: return fstatat(dir, name, &st, 0);
    case UNLINK: return unlinkat(dir, name, 0);
    }
    return -1;
}

int main(int argc, char** argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: p9bench DIR N\n");
        return 2;
    }
    int dir = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    long n = atol(argv[2]);
    if (dir < 0 || n <= 0) {
        printf("BENCH-ERROR cannot open %s or bad count\n", argv[1]);
        return 1;
    }
    static const char* names[] = {"create", "stat", "unlink"};
    for (int op = CREATE; op <= UNLINK; op++) {
        double t0 = now();
        for (long i = 0; i < n; i++) {
            char name[32];
            snprintf(name, sizeof name, "f%ld", i);
            if (one(dir, (enum op)op, name) != 0) {
                printf("BENCH-ERROR %s %s: ", names[op], name);
                fflush(stdout);
                perror("");
                return 1;
            }
        }
        printf("BENCH meta-%s %.0f files/s\n", names[op], n / (now() - t0));
    }
    return 0;
}
