#pragma once
// Test helpers: tar files built with libarchive (any compression), cpio archives read
// back, and a temporary directory that removes itself.
#include <archive.h>
#include <archive_entry.h>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace hyper::image::testing {

struct TarItem {
    TarItem(std::string n, char t = 'f', std::string d = "", uint32_t p = 0644, uint32_t u = 0,
            uint32_t g = 0, int64_t declared = -1)
        : name(std::move(n)), type(t), data(std::move(d)), perm(p), uid(u), gid(g),
          declared_size(declared) {}
    std::string name;
    char type{'f'};   // f file, d dir, l symlink, h hard link, c char device
    std::string data; // file content, or the link target
    uint32_t perm{0644};
    uint32_t uid{0}, gid{0};
    int64_t declared_size{-1}; // files: a size that differs from data.size()
};

enum class Compression { None, Gzip, GzipStored, Bzip2, Xz, Zstd };

inline std::vector<uint8_t> make_tar(const std::vector<TarItem>& items,
                                     Compression c = Compression::None) {
    std::vector<uint8_t> out(64 << 20);
    size_t used = 0;
    archive* a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    switch (c) {
    case Compression::None: archive_write_add_filter_none(a); break;
    case Compression::Gzip: archive_write_add_filter_gzip(a); break;
    case Compression::GzipStored: // deflate without compression: damage still inflates
        archive_write_add_filter_gzip(a);
        archive_write_set_filter_option(a, "gzip", "compression-level", "0");
        break;
    case Compression::Bzip2: archive_write_add_filter_bzip2(a); break;
    case Compression::Xz: archive_write_add_filter_xz(a); break;
    case Compression::Zstd: archive_write_add_filter_zstd(a); break;
    }
    archive_write_open_memory(a, out.data(), out.size(), &used);
    for (const auto& it : items) {
        archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, it.name.c_str());
        archive_entry_set_uid(e, it.uid);
        archive_entry_set_gid(e, it.gid);
        archive_entry_set_mtime(e, 1000, 0);
        switch (it.type) {
        case 'd': archive_entry_set_mode(e, S_IFDIR | it.perm); break;
        case 'l':
            archive_entry_set_mode(e, S_IFLNK | 0777);
            archive_entry_set_symlink(e, it.data.c_str());
            break;
        case 'h':
            archive_entry_set_mode(e, S_IFREG | it.perm);
            archive_entry_set_hardlink(e, it.data.c_str());
            break;
        case 'c':
            archive_entry_set_mode(e, S_IFCHR | it.perm);
            archive_entry_set_rdevmajor(e, 1);
            archive_entry_set_rdevminor(e, 3);
            break;
        default:
            archive_entry_set_mode(e, S_IFREG | it.perm);
            archive_entry_set_size(e, it.declared_size >= 0 ? it.declared_size
                                                            : (la_int64_t)it.data.size());
        }
        archive_write_header(a, e);
        if (it.type == 'f' && !it.data.empty())
            archive_write_data(a, it.data.data(), it.data.size());
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    out.resize(used);
    return out;
}

struct CpioItem {
    std::string path;
    uint32_t mode{0};
    uint32_t uid{0}, gid{0};
    uint64_t ino{0};
    uint32_t nlink{0};
    std::string data;
    std::string symlink;
};

inline std::vector<CpioItem> read_cpio(const std::vector<uint8_t>& bytes) {
    std::vector<CpioItem> items;
    archive* a = archive_read_new();
    archive_read_support_format_cpio(a);
    archive_read_open_memory(a, bytes.data(), bytes.size());
    archive_entry* e;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        CpioItem it;
        it.path = archive_entry_pathname(e);
        it.mode = archive_entry_mode(e);
        it.uid = (uint32_t)archive_entry_uid(e);
        it.gid = (uint32_t)archive_entry_gid(e);
        it.ino = (uint64_t)archive_entry_ino64(e);
        it.nlink = archive_entry_nlink(e);
        if (archive_entry_symlink(e))
            it.symlink = archive_entry_symlink(e);
        char buf[4096];
        la_ssize_t n;
        while ((n = archive_read_data(a, buf, sizeof buf)) > 0)
            it.data.append(buf, (size_t)n);
        items.push_back(it);
    }
    archive_read_free(a);
    return items;
}

inline const CpioItem* find(const std::vector<CpioItem>& items, const std::string& path) {
    const CpioItem* found = nullptr;
    for (const auto& it : items)
        if (it.path == path)
            found = &it; // the last one wins, as in the Linux unpacker
    return found;
}

class TempDir {
  public:
    TempDir() {
        std::string tmpl = std::filesystem::temp_directory_path() / "hyper-test-XXXXXX";
        m_path = ::mkdtemp(tmpl.data());
    }
    ~TempDir() { std::filesystem::remove_all(m_path); }
    const std::string& path() const { return m_path; }
    std::string write(const std::string& name, const std::vector<uint8_t>& bytes) const {
        std::string p = m_path + "/" + name;
        std::filesystem::create_directories(std::filesystem::path(p).parent_path());
        FILE* f = std::fopen(p.c_str(), "wb");
        std::fwrite(bytes.data(), 1, bytes.size(), f);
        std::fclose(f);
        return p;
    }
    std::string write(const std::string& name, const std::string& text) const {
        return write(name, std::vector<uint8_t>(text.begin(), text.end()));
    }

  private:
    std::string m_path;
};

inline std::vector<uint8_t> read_all(const std::string& path) {
    std::vector<uint8_t> out;
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f)
        return out;
    int c;
    while ((c = std::fgetc(f)) != EOF)
        out.push_back((uint8_t)c);
    std::fclose(f);
    return out;
}

} // namespace hyper::image::testing
