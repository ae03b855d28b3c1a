// blkbench: a tiny block-device benchmark run inside the guest (static, no libraries).
//   blkbench MODE DEVICE MIB BLOCK_KIB THREADS
// MODE: seqread, seqwrite (each thread streams its own slice of the first MIB MiB),
//       randread, randwrite (each thread does random BLOCK_KIB-aligned I/O in the first
//       MIB MiB; MIB MiB in total). O_DIRECT, so the guest page cache is out of the way;
//       THREADS threads give THREADS requests in flight.
// Prints: "BENCH <mode> bs=<kib>k qd=<threads> <MiB/s> MiB/s <iops> IOPS <seconds> s"
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char* g_mode;
static const char* g_dev;
static uint64_t g_bytes, g_block;
static int g_threads;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void* worker(void* arg) {
    long id = (long)arg;
    int write = strstr(g_mode, "write") != NULL;
    int random = strncmp(g_mode, "rand", 4) == 0;
    int fd = open(g_dev, (write ? O_WRONLY : O_RDONLY) | O_DIRECT);
    if (fd < 0) {
        perror("open");
        exit(1);
    }
    void* buf;
    if (posix_memalign(&buf, 4096, g_block) != 0)
        exit(1);
    memset(buf, 0x5a, g_block);
    uint64_t slice = g_bytes / g_threads / g_block * g_block;
    uint64_t ops = slice / g_block;
    uint64_t blocks = g_bytes / g_block;
    uint64_t seed = 0x9e3779b97f4a7c15ull * (id + 1);
    for (uint64_t i = 0; i < ops; i++) {
        uint64_t off;
        if (random) {
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
            off = (seed % blocks) * g_block;
        } else {
            off = id * slice + i * g_block;
        }
        ssize_t r = write ? pwrite(fd, buf, g_block, off) : pread(fd, buf, g_block, off);
        if (r != (ssize_t)g_block) {
            perror(write ? "pwrite" : "pread");
            exit(1);
        }
    }
    if (write)
        fdatasync(fd);
    close(fd);
    free(buf);
    return NULL;
}

int main(int argc, char** argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: blkbench MODE DEVICE MIB BLOCK_KIB THREADS\n");
        return 2;
    }
    g_mode = argv[1];
    g_dev = argv[2];
    g_bytes = strtoull(argv[3], NULL, 10) << 20;
    g_block = strtoull(argv[4], NULL, 10) << 10;
    g_threads = atoi(argv[5]);
    if (g_threads < 1 || g_threads > 64 || g_block == 0 || g_bytes < g_block * g_threads)
        return 2;
    pthread_t t[64];
    double t0 = now();
    for (long i = 0; i < g_threads; i++)
        pthread_create(&t[i], NULL, worker, (void*)i);
    for (int i = 0; i < g_threads; i++)
        pthread_join(t[i], NULL);
    double secs = now() - t0;
    uint64_t done = g_bytes / g_threads / g_block * g_block * g_threads;
    printf("BENCH %s bs=%luk qd=%d %.1f MiB/s %.0f IOPS %.3f s\n", g_mode,
           (unsigned long)(g_block >> 10), g_threads, done / secs / 1048576.0,
           done / g_block / secs, secs);
    return 0;
}
