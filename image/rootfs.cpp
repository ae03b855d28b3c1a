#include "image/rootfs.hpp"

#include <archive_entry.h>
#include <sys/stat.h>

#include "image/archive_reader.hpp"
#include "image/entry_path.hpp"

namespace hyper::image {

namespace {

constexpr size_t k_chunk = 64 * 1024;
constexpr const char* k_whiteout_prefix = ".wh.";
constexpr const char* k_opaque_marker = ".wh..wh..opq";

Unexpected bad(const std::string& what, const std::string& path, const std::string& why) {
    return fail(ExitCode::BadImage, what + ": entry '" + path + "': " + why);
}

std::string join(std::string_view dir, std::string_view name) {
    return dir.empty() ? std::string(name) : std::string(dir) + "/" + std::string(name);
}

// Where an archive member goes: nowhere, the ACI manifest, or a path in the root.
struct Mapped {
    enum class Kind { Skip, Manifest, Path } kind{Kind::Skip};
    std::string path;
};

Result<Mapped> map_name(LayerFormat format, const std::string& what, const char* raw) {
    if (!raw)
        return fail(ExitCode::BadImage, what + ": an entry has no name");
    auto name = normalize_entry_name(raw);
    if (!name)
        return Unexpected(std::move(name.error()).with_context(what));
    if (format == LayerFormat::Oci)
        return Mapped{name->empty() ? Mapped::Kind::Skip : Mapped::Kind::Path, *name};
    if (*name == "manifest")
        return Mapped{Mapped::Kind::Manifest, {}};
    if (name->rfind("rootfs/", 0) == 0)
        return Mapped{Mapped::Kind::Path, name->substr(7)};
    return Mapped{}; // "rootfs" itself and anything beside it
}

// A hard link's target, mapped like a member name.
Result<std::string> map_link_target(LayerFormat format, const std::string& what,
                                    const std::string& path, const char* raw) {
    auto target = normalize_entry_name(raw);
    if (!target)
        return bad(what, path, "hard link target: " + target.error().message());
    if (format == LayerFormat::Aci) {
        if (target->rfind("rootfs/", 0) != 0)
            return bad(what, path, "hard link to '" + *target + "', outside rootfs/");
        return target->substr(7);
    }
    if (target->empty())
        return bad(what, path, "hard link to the root directory");
    return *target;
}

bool supported_type(uint32_t type) {
    return type == AE_IFREG || type == AE_IFDIR || type == AE_IFLNK || type == AE_IFCHR ||
           type == AE_IFBLK || type == AE_IFIFO || type == AE_IFSOCK;
}

} // namespace

struct RootfsBuilder::Pending {
    std::string path;
    uint32_t index;
    uint32_t type; // 0: hard link
    std::string link_target;
};

RootfsBuilder::RootfsBuilder(LayerFormat format, std::vector<Layer> layers, RootfsLimits limits)
    : m_format(format), m_layers(std::move(layers)), m_limits(limits) {}

Result<void> RootfsBuilder::index() {
    for (uint32_t i = 0; i < m_layers.size(); i++)
        TRY(index_layer(i));
    // Files that winning hard links need written (under their own or the link's name).
    for (const auto& link : m_links) {
        auto it = m_tree.find(link.path);
        if (it != m_tree.end() && it->second.layer == link.layer && it->second.index == link.index)
            m_link_holders[key(link.layer, link.target)].push_back(link.path);
    }
    return {};
}

Result<void> RootfsBuilder::index_layer(uint32_t layer) {
    const Layer& src = m_layers[layer];
    auto reader = TRY(ArchiveReader::open(src.path, src.what, src.digest, true));
    std::vector<Pending> entries;
    std::vector<std::string> whiteouts, opaque_dirs;
    for (uint32_t index = 0;; index++) {
        archive_entry* e = TRY(reader->next());
        if (!e)
            break;
        Mapped m = TRY(map_name(m_format, src.what, archive_entry_pathname(e)));
        if (m.kind == Mapped::Kind::Skip)
            continue;
        if (m.kind == Mapped::Kind::Manifest) {
            if (archive_entry_size(e) > static_cast<la_int64_t>(m_limits.max_manifest))
                return bad(src.what, "manifest", "larger than 1 MiB");
            std::string text(static_cast<size_t>(archive_entry_size(e)), '\0');
            size_t got = 0;
            while (got < text.size()) {
                size_t n = TRY(reader->read(
                    std::span(reinterpret_cast<uint8_t*>(text.data()) + got, text.size() - got)));
                if (n == 0)
                    break;
                got += n;
            }
            text.resize(got);
            m_manifest = std::move(text);
            continue;
        }
        if (++m_total_entries > m_limits.max_entries)
            return bad(src.what, m.path,
                       "more than " + std::to_string(m_limits.max_entries) + " entries");
        std::string_view base = m.path;
        base.remove_prefix(parent_of(m.path).size() + (parent_of(m.path).empty() ? 0 : 1));
        if (m_format == LayerFormat::Oci && base.rfind(k_whiteout_prefix, 0) == 0) {
            std::string dir(parent_of(m.path));
            if (base == k_opaque_marker) {
                opaque_dirs.push_back(dir);
                continue;
            }
            std::string_view victim = base.substr(4);
            if (victim.empty() || victim == "." || victim == "..")
                return bad(src.what, m.path, "a whiteout that names no file");
            whiteouts.push_back(join(dir, victim));
            continue;
        }
        Pending p{m.path, index, archive_entry_filetype(e), {}};
        if (const char* link = archive_entry_hardlink(e)) {
            p.type = 0;
            p.link_target = TRY(map_link_target(m_format, src.what, m.path, link));
        } else if (!supported_type(p.type)) {
            return bad(src.what, m.path, "unsupported file type");
        } else if (p.type == AE_IFREG) {
            la_int64_t size = archive_entry_size(e);
            if (size < 0 || static_cast<uint64_t>(size) > m_limits.max_bytes - m_total_bytes)
                return bad(src.what, m.path,
                           "its size (" + std::to_string(size) + " bytes) takes the image past " +
                               std::to_string(m_limits.max_bytes >> 20) +
                               " MiB, the most an initramfs may hold");
            m_total_bytes += static_cast<uint64_t>(size);
        } else if (p.type == AE_IFLNK && !archive_entry_symlink(e)) {
            return bad(src.what, m.path, "a symlink without a target");
        }
        entries.push_back(std::move(p));
    }
    TRY(reader->finish());
    // Whiteouts and opaque directories hide what the layers below put there...
    for (const auto& w : whiteouts) {
        m_tree.erase(w);
        erase_children(w);
    }
    for (const auto& d : opaque_dirs)
        erase_children(d);
    // ...then this layer's own entries land, in archive order.
    for (const auto& p : entries)
        TRY(apply(layer, p));
    return {};
}

Result<void> RootfsBuilder::apply(uint32_t layer, const Pending& p) {
    const std::string& what = m_layers[layer].what;
    // Every parent must be a directory (or not exist yet): anything else would make the
    // guest's unpacker write through a symlink or fail half way.
    for (size_t slash = p.path.find('/'); slash != std::string::npos;
         slash = p.path.find('/', slash + 1)) {
        auto it = m_tree.find(p.path.substr(0, slash));
        if (it == m_tree.end() || it->second.type == AE_IFDIR)
            continue;
        if (it->second.type == AE_IFLNK)
            return bad(what, p.path,
                       "would be written through the symlink '" + it->first + "' (refused)");
        return bad(what, p.path, "its parent '" + it->first + "' is not a directory");
    }
    Node node{layer, p.index, p.type, 0};
    if (p.type == 0) {
        auto target = m_tree.find(p.link_target);
        if (target != m_tree.end() && target->second.type == 0)
            node.target = target->second.target; // a link to a link: to the same file
        else if (target != m_tree.end() && target->second.type == AE_IFREG)
            node.target = target->second.index;
        if (target == m_tree.end() || target->second.layer != layer ||
            (target->second.type != AE_IFREG && target->second.type != 0))
            return bad(what, p.path,
                       "hard link to '" + p.link_target +
                           "', which is not a regular file earlier in the same layer");
        m_links.push_back({p.path, layer, p.index, node.target});
    }
    if (p.type != AE_IFDIR)
        erase_children(p.path); // a file replaces a directory and everything under it
    m_tree[p.path] = node;
    return {};
}

void RootfsBuilder::erase_children(const std::string& dir) {
    if (dir.empty()) {
        m_tree.clear();
        return;
    }
    std::string prefix = dir + "/";
    auto it = m_tree.lower_bound(prefix);
    while (it != m_tree.end() && it->first.compare(0, prefix.size(), prefix) == 0)
        it = m_tree.erase(it);
}

Result<RootfsStats> RootfsBuilder::write(CpioWriter& out) {
    RootfsStats stats;
    for (uint32_t i = 0; i < m_layers.size(); i++)
        TRY(write_layer(i, out, stats));
    TRY(out.close());
    return stats;
}

Result<void> RootfsBuilder::ensure_parents(const std::string& path, CpioWriter& out,
                                           RootfsStats& stats) {
    for (size_t slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
        std::string dir = path.substr(0, slash);
        if (m_written_dirs.insert(dir).second) {
            TRY(out.directory(dir, 0755)); // its own entry, if any, comes later and wins
            stats.entries++;
        }
    }
    return {};
}

Result<void> RootfsBuilder::write_layer(uint32_t layer, CpioWriter& out, RootfsStats& stats) {
    const Layer& src = m_layers[layer];
    auto reader = TRY(ArchiveReader::open(src.path, src.what, src.digest));
    auto buffer = std::make_unique<uint8_t[]>(k_chunk);
    for (uint32_t index = 0;; index++) {
        archive_entry* e = TRY(reader->next());
        if (!e)
            break;
        Mapped m = TRY(map_name(m_format, src.what, archive_entry_pathname(e)));
        if (m.kind != Mapped::Kind::Path)
            continue;
        auto it = m_tree.find(m.path);
        bool wins = it != m_tree.end() && it->second.layer == layer && it->second.index == index;
        auto holder = m_link_holders.find(key(layer, index));
        bool needed = holder != m_link_holders.end();
        if (!wins && !needed)
            continue;
        if (archive_entry_xattr_count(e) > 0)
            stats.dropped_xattrs++;
        CpioEntry c;
        c.uid = static_cast<uint32_t>(archive_entry_uid(e));
        c.gid = static_cast<uint32_t>(archive_entry_gid(e));
        c.mtime = archive_entry_mtime(e);
        if (archive_entry_hardlink(e)) {
            if (m_written_links.count(m.path))
                continue; // already written with the data, as the first link's holder
            auto inode = m_inodes.find(key(layer, it->second.target));
            if (inode == m_inodes.end())
                return bad(src.what, m.path, "hard link written before its file");
            c.path = m.path;
            c.mode = inode->second.mode;
            c.uid = inode->second.uid;
            c.gid = inode->second.gid;
            c.mtime = inode->second.mtime;
            c.ino = inode->second.ino;
            c.nlink = 2;
            TRY(ensure_parents(c.path, out, stats));
            TRY(out.header(c));
            stats.entries++;
            continue;
        }
        // A file a winning hard link needs, though a later entry replaced its own name,
        // is written under the first such link's name.
        c.path = wins ? m.path : holder->second.front();
        if (!wins)
            m_written_links.insert(c.path);
        c.mode = archive_entry_filetype(e) | (archive_entry_perm(e) & 07777);
        c.nlink = needed ? 2 : 1;
        if (S_ISREG(c.mode))
            c.size = static_cast<uint64_t>(archive_entry_size(e));
        if (S_ISLNK(c.mode))
            c.symlink = archive_entry_symlink(e);
        if (S_ISCHR(c.mode) || S_ISBLK(c.mode)) {
            c.rdev_major = static_cast<uint32_t>(archive_entry_rdevmajor(e));
            c.rdev_minor = static_cast<uint32_t>(archive_entry_rdevminor(e));
        }
        TRY(ensure_parents(c.path, out, stats));
        if (S_ISDIR(c.mode)) {
            m_written_dirs.insert(c.path);
            c.nlink = 2;
        }
        uint64_t ino = TRY(out.header(c));
        stats.entries++;
        if (needed)
            m_inodes[key(layer, index)] = Inode{ino, c.mode, c.uid, c.gid, c.mtime};
        uint64_t copied = 0;
        while (S_ISREG(c.mode)) {
            size_t n = TRY(reader->read(std::span(buffer.get(), k_chunk)));
            if (n == 0)
                break;
            if (n > c.size - copied)
                return bad(src.what, c.path, "more data than its header declares");
            TRY(out.data(std::span<const uint8_t>(buffer.get(), n)));
            copied += n;
        }
        if (copied != c.size)
            return bad(src.what, c.path, "truncated: the archive ends inside this file");
        stats.bytes += copied;
    }
    return reader->finish();
}

} // namespace hyper::image
