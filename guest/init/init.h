// Shared between the pieces of the guest init (see init.c).
#pragma once
#include <sys/types.h>

#define MAX_ARGS 4096
#define MAX_ENV 4096
#define MAX_GROUPS 64
#define MAX_VOLUMES 32

struct volume {
    const char* tag;
    const char* path;
    int read_only;
};

// /.hyper/run, parsed (image/run_spec.hpp); strings point into one buffer.
struct run_spec {
    char* argv[MAX_ARGS + 1];
    int argc;
    char* envp[MAX_ENV + 3]; // + PATH and HOME when the image sets none
    int envc;
    const char* user;
    const char* group;
    gid_t gids[MAX_GROUPS];
    int ngids;
    const char* workdir;
    const char* hostname;
    const char* ip;
    const char* gw;
    struct volume volumes[MAX_VOLUMES];
    int nvolumes;
    int interactive; // the app's stdin is the console (else /dev/null)
};

struct identity {
    uid_t uid;
    gid_t gid;
    gid_t groups[MAX_GROUPS * 2];
    int ngroups;
    char home[256];
};

void say(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatal(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
int mkdirs(const char* path, mode_t mode);

void read_run_spec(const char* path, struct run_spec* spec);
void resolve_identity(const struct run_spec* spec, struct identity* who);
int setgroups_for(const struct identity* who);
void finish_environment(struct run_spec* spec, const struct identity* who);
const char* find_program(const struct run_spec* spec);
void setup_network(const struct run_spec* spec);
