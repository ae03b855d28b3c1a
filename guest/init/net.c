// The guest init's network set-up with plain ioctls: lo up (Linux gives it 127.0.0.1),
// eth0 with the address and default route from /.hyper/run.
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "init.h"

static int set_up(int sock, const char* ifname) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) != 0)
        return -1;
    ifr.ifr_flags |= IFF_UP;
    return ioctl(sock, SIOCSIFFLAGS, &ifr);
}

static int set_addr(int sock, const char* ifname, unsigned long request, struct in_addr addr) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr = addr;
    memcpy(&ifr.ifr_addr, &sin, sizeof sin);
    return ioctl(sock, request, &ifr);
}

void setup_network(const struct run_spec* spec) {
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) {
        say("hyper-init: warning: no IPv4 socket: %s", strerror(errno));
        return;
    }
    if (set_up(sock, "lo") != 0)
        say("hyper-init: warning: lo: %s", strerror(errno));
    if (spec->ip) {
        char addr_text[32];
        snprintf(addr_text, sizeof addr_text, "%s", spec->ip);
        char* slash = strchr(addr_text, '/');
        unsigned prefix = 24;
        if (slash) {
            *slash = '\0';
            prefix = (unsigned)strtoul(slash + 1, NULL, 10);
        }
        struct in_addr addr, mask;
        if (inet_pton(AF_INET, addr_text, &addr) != 1 || prefix < 1 || prefix > 32)
            fatal("eth0: bad address '%s'", spec->ip);
        mask.s_addr = htonl(prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix));
        if (set_addr(sock, "eth0", SIOCSIFADDR, addr) != 0 ||
            set_addr(sock, "eth0", SIOCSIFNETMASK, mask) != 0 || set_up(sock, "eth0") != 0)
            fatal("eth0: setting %s: %s", spec->ip, strerror(errno));
        if (spec->gw) {
            struct rtentry rt;
            memset(&rt, 0, sizeof rt);
            struct sockaddr_in* dst = (struct sockaddr_in*)&rt.rt_dst;
            struct sockaddr_in* gw = (struct sockaddr_in*)&rt.rt_gateway;
            struct sockaddr_in* gmask = (struct sockaddr_in*)&rt.rt_genmask;
            dst->sin_family = gw->sin_family = gmask->sin_family = AF_INET;
            if (inet_pton(AF_INET, spec->gw, &gw->sin_addr) != 1)
                fatal("eth0: bad gateway '%s'", spec->gw);
            rt.rt_flags = RTF_UP | RTF_GATEWAY;
            rt.rt_dev = (char*)"eth0";
            if (ioctl(sock, SIOCADDRT, &rt) != 0)
                fatal("eth0: default route via %s: %s", spec->gw, strerror(errno));
        }
    }
    close(sock);
}
