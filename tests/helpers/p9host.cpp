// Host side of the 9p xattr and lock test (tests/integration/t_51_share_xattr_lock.sh),
// run in L1 where no attr or lock tools exist:
//   p9host setx FILE NAME VALUE   sets an extended attribute
//   p9host getx FILE NAME         prints its value
//   p9host hold FILE              takes a POSIX write lock, waits for FILE.release to
//                                 appear (at most 120 s), unlocks, creates FILE.released
//   p9host probe FILE             prints "locked" when another process holds a lock on
//                                 FILE, "free" otherwise
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/xattr.h>
#include <unistd.h>

namespace {

int die(const char* what) {
    std::fprintf(stderr, "p9host: %s: %s\n", what, std::strerror(errno));
    return 1;
}

bool exists(const std::string& path) {
    return ::access(path.c_str(), F_OK) == 0;
}

int hold(const char* file) {
    int fd = ::open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return die(file);
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (::fcntl(fd, F_SETLK, &fl) < 0)
        return die("F_SETLK");
    std::printf("held\n");
    std::fflush(stdout);
    std::string release = std::string(file) + ".release";
    for (int i = 0; i < 1200 && !exists(release); i++)
        ::usleep(100000);
    fl.l_type = F_UNLCK;
    ::fcntl(fd, F_SETLK, &fl);
    ::close(fd);
    int done =
        ::open((std::string(file) + ".released").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (done < 0)
        return die("create .released");
    ::close(done);
    return 0;
}

int probe(const char* file) {
    int fd = ::open(file, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return die(file);
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (::fcntl(fd, F_GETLK, &fl) < 0)
        return die("F_GETLK");
    std::printf("%s\n", fl.l_type == F_UNLCK ? "free" : "locked");
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "setx" && argc == 5) {
        if (::setxattr(argv[2], argv[3], argv[4], std::strlen(argv[4]), 0) < 0)
            return die("setxattr");
        return 0;
    }
    if (cmd == "getx" && argc == 4) {
        char buf[4096];
        ssize_t n = ::getxattr(argv[2], argv[3], buf, sizeof buf);
        if (n < 0)
            return die("getxattr");
        std::printf("%.*s\n", static_cast<int>(n), buf);
        return 0;
    }
    if (cmd == "hold" && argc == 3)
        return hold(argv[2]);
    if (cmd == "probe" && argc == 3)
        return probe(argv[2]);
    std::fprintf(stderr, "usage: p9host setx FILE NAME VALUE | getx FILE NAME | hold FILE | "
                         "probe FILE\n");
    return 64;
}
