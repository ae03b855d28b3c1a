// The guest init's reading of /.hyper/run, /etc/passwd and /etc/group, and PATH search.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "init.h"

#define MAX_SPEC (1 << 20)

static char* read_whole(const char* path, size_t* len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char* buf = malloc(MAX_SPEC + 1);
    size_t used = 0;
    ssize_t n;
    while (buf && used < MAX_SPEC && (n = read(fd, buf + used, MAX_SPEC - used)) > 0)
        used += (size_t)n;
    close(fd);
    if (!buf)
        return NULL;
    buf[used] = '\0';
    *len = used;
    return buf;
}

void read_run_spec(const char* path, struct run_spec* spec) {
    memset(spec, 0, sizeof *spec);
    size_t len = 0;
    char* buf = read_whole(path, &len);
    if (!buf)
        fatal("%s: %s (was this initramfs made by vmm run?)", path, strerror(errno));
    size_t pos = 0;
    while (pos < len) {
        char* key = buf + pos;
        size_t klen = strnlen(key, len - pos);
        if (pos + klen + 1 >= len)
            fatal("%s: truncated at offset %zu", path, pos);
        char* value = key + klen + 1;
        size_t vlen = strnlen(value, len - pos - klen - 1);
        if (pos + klen + 1 + vlen >= len)
            fatal("%s: truncated at offset %zu", path, pos);
        pos += klen + vlen + 2;
        if (!strcmp(key, "arg") && spec->argc < MAX_ARGS)
            spec->argv[spec->argc++] = value;
        else if (!strcmp(key, "env") && spec->envc < MAX_ENV)
            spec->envp[spec->envc++] = value;
        else if (!strcmp(key, "user"))
            spec->user = value;
        else if (!strcmp(key, "group"))
            spec->group = value;
        else if (!strcmp(key, "gid") && spec->ngids < MAX_GROUPS)
            spec->gids[spec->ngids++] = (gid_t)strtoul(value, NULL, 10);
        else if (!strcmp(key, "workdir"))
            spec->workdir = value;
        else if (!strcmp(key, "hostname"))
            spec->hostname = value;
        else if (!strcmp(key, "ip"))
            spec->ip = value;
        else if (!strcmp(key, "gw"))
            spec->gw = value;
        else if (!strcmp(key, "stdin"))
            spec->interactive = !strcmp(value, "console");
        else if (!strcmp(key, "volume") && spec->nvolumes < MAX_VOLUMES) {
            // rw:TAG:PATH or ro:TAG:PATH
            char* tag = value + 3;
            char* colon = strchr(tag, ':');
            if (strlen(value) < 4 || value[2] != ':' || !colon)
                fatal("%s: bad volume '%s'", path, value);
            *colon = '\0';
            struct volume* v = &spec->volumes[spec->nvolumes++];
            v->tag = tag;
            v->path = colon + 1;
            v->read_only = value[0] == 'r' && value[1] == 'o';
        }
    }
    if (spec->argc == 0)
        fatal("%s: no program to run", path);
}

static int all_digits(const char* s) {
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

// Splits a passwd/group line in place into at most `max` colon-separated fields.
static int fields(char* line, char** out, int max) {
    int n = 0;
    out[n++] = line;
    for (char* p = line; *p && n < max; p++)
        if (*p == ':') {
            *p = '\0';
            out[n++] = p + 1;
        }
    return n;
}

// Calls `fn` for each line of an /etc file until it returns non-zero.
static int each_line(const char* path, int (*fn)(char** f, int n, void* ctx), void* ctx,
                     int max_fields) {
    size_t len;
    char* buf = read_whole(path, &len);
    if (!buf)
        return 0;
    int found = 0;
    for (char* line = strtok(buf, "\n"); line && !found; line = strtok(NULL, "\n")) {
        char* f[8];
        int n = fields(line, f, max_fields);
        found = fn(f, n, ctx);
    }
    free(buf);
    return found;
}

struct user_query {
    const char* name; // by name, or
    long uid;         // by uid (name NULL)
    struct identity* who;
    char found_name[256];
};

static int match_user(char** f, int n, void* ctx) {
    struct user_query* q = ctx;
    if (n < 6 || !all_digits(f[2]) || !all_digits(f[3]))
        return 0;
    if (q->name ? strcmp(f[0], q->name) != 0 : strtol(f[2], NULL, 10) != q->uid)
        return 0;
    q->who->uid = (uid_t)strtoul(f[2], NULL, 10);
    q->who->gid = (gid_t)strtoul(f[3], NULL, 10);
    snprintf(q->who->home, sizeof q->who->home, "%s", f[5]);
    snprintf(q->found_name, sizeof q->found_name, "%s", f[0]);
    return 1;
}

// Adds a supplementary group once.
static void add_group(struct identity* who, gid_t gid) {
    for (int i = 0; i < who->ngroups; i++)
        if (who->groups[i] == gid)
            return;
    if (who->ngroups < (int)(sizeof who->groups / sizeof who->groups[0]))
        who->groups[who->ngroups++] = gid;
}

struct group_query {
    const char* name;
    gid_t gid;
    const char* member; // collect groups listing this user
    struct identity* who;
};

static int match_group(char** f, int n, void* ctx) {
    struct group_query* q = ctx;
    if (n < 3 || !all_digits(f[2]))
        return 0;
    if (q->name) {
        if (strcmp(f[0], q->name) != 0)
            return 0;
        q->gid = (gid_t)strtoul(f[2], NULL, 10);
        return 1;
    }
    if (n < 4 || !q->member[0])
        return 0;
    // members: a comma-separated list
    char* save = NULL;
    for (char* m = strtok_r(f[3], ",", &save); m; m = strtok_r(NULL, ",", &save))
        if (!strcmp(m, q->member))
            add_group(q->who, (gid_t)strtoul(f[2], NULL, 10));
    return 0;
}

void resolve_identity(const struct run_spec* spec, struct identity* who) {
    memset(who, 0, sizeof *who);
    snprintf(who->home, sizeof who->home, "/");
    struct user_query uq = {.who = who};
    const char* user = spec->user ? spec->user : "0";
    if (user[0] == '/') {
        // appc: a path in the image whose owner is the user
        struct stat st;
        if (stat(user, &st) != 0)
            fatal("user %s: %s", user, strerror(errno));
        uq.uid = st.st_uid;
        if (!each_line("/etc/passwd", match_user, &uq, 7)) {
            who->uid = st.st_uid;
            who->gid = st.st_gid;
        }
    } else if (all_digits(user)) {
        uq.uid = strtol(user, NULL, 10);
        if (!each_line("/etc/passwd", match_user, &uq, 7))
            who->uid = (uid_t)strtoul(user, NULL, 10); // unknown uid: group 0, HOME /
    } else {
        uq.name = user;
        if (!each_line("/etc/passwd", match_user, &uq, 7))
            fatal("user '%s' is not in the image's /etc/passwd", user);
    }
    if (spec->group && spec->group[0] == '/') {
        struct stat st;
        if (stat(spec->group, &st) != 0)
            fatal("group %s: %s", spec->group, strerror(errno));
        who->gid = st.st_gid;
    } else if (spec->group && all_digits(spec->group)) {
        who->gid = (gid_t)strtoul(spec->group, NULL, 10);
    } else if (spec->group && spec->group[0]) {
        struct group_query gq = {.name = spec->group, .who = who};
        if (!each_line("/etc/group", match_group, &gq, 4))
            fatal("group '%s' is not in the image's /etc/group", spec->group);
        who->gid = gq.gid;
    }
    for (int i = 0; i < spec->ngids; i++)
        add_group(who, spec->gids[i]);
    struct group_query member = {.member = uq.found_name, .who = who};
    each_line("/etc/group", match_group, &member, 4);
}

int setgroups_for(const struct identity* who) {
    return setgroups((size_t)who->ngroups, who->groups);
}

static const char* find_env(const struct run_spec* spec, const char* name) {
    size_t len = strlen(name);
    for (int i = 0; i < spec->envc; i++)
        if (!strncmp(spec->envp[i], name, len) && spec->envp[i][len] == '=')
            return spec->envp[i] + len + 1;
    return NULL;
}

void finish_environment(struct run_spec* spec, const struct identity* who) {
    static char home[300];
    if (!find_env(spec, "PATH"))
        spec->envp[spec->envc++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    if (!find_env(spec, "HOME")) {
        snprintf(home, sizeof home, "HOME=%s", who->home);
        spec->envp[spec->envc++] = home;
    }
    spec->envp[spec->envc] = NULL;
    spec->argv[spec->argc] = NULL;
}

// argv[0] as a path: as given when it holds a '/', else searched in the app's PATH.
const char* find_program(const struct run_spec* spec) {
    const char* name = spec->argv[0];
    if (strchr(name, '/'))
        return name;
    const char* path = find_env(spec, "PATH");
    static char candidate[4096];
    while (path && *path) {
        const char* end = strchrnul(path, ':');
        int n = snprintf(candidate, sizeof candidate, "%.*s/%s", (int)(end - path), path, name);
        if (n > 0 && n < (int)sizeof candidate && access(candidate, X_OK) == 0)
            return candidate;
        path = *end ? end + 1 : end;
    }
    return name; // execve fails with ENOENT: reported as 127
}
