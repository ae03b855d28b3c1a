#pragma once
// Merges an image's layers into one root file system and writes it as a newc cpio, in two
// streaming passes and without unpacking anything on the host:
//   index()  reads every header of every layer (no file data is kept), applies the layers
//            in order - later entries replace earlier ones, OCI whiteouts (.wh.NAME) and
//            opaque directories (.wh..wh..opq) delete what lower layers put there - and
//            refuses hostile entries: absolute names, "..", writes through a symlink (or a
//            file) in a parent position, hard links to nothing, sizes past the limit;
//   write()  reads the layers again and streams each surviving entry into the cpio,
//            with the parent directories an archive left out.
// An ACI is one layer whose root file system is under rootfs/ beside its manifest.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/result.hpp"
#include "image/cpio_writer.hpp"

namespace hyper::image {

enum class LayerFormat { Aci, Oci };

struct Layer {
    std::string path;                  // a tar file, compressed or not
    std::string what;                  // names it in errors
    std::optional<std::string> digest; // checked while it streams (both passes)
};

struct RootfsLimits {
    uint64_t max_bytes{2048ull << 20}; // file data in all layers together (an initrd's limit)
    uint64_t max_entries{4'000'000};
    size_t max_manifest{1 << 20};
};

struct RootfsStats {
    uint64_t entries{0};        // written to the cpio
    uint64_t bytes{0};          // file data written
    uint64_t dropped_xattrs{0}; // entries whose extended attributes newc cannot carry
};

class RootfsBuilder {
  public:
    RootfsBuilder(LayerFormat format, std::vector<Layer> layers, RootfsLimits limits = {});

    Result<void> index();
    // The ACI manifest text (found by index()).
    const std::optional<std::string>& manifest() const { return m_manifest; }
    Result<RootfsStats> write(CpioWriter& out);

  private:
    struct Node {
        uint32_t layer;
        uint32_t index;  // the entry's position in its layer
        uint32_t type;   // S_IFMT bits; 0 for a hard link
        uint32_t target; // hard links: index of the file they link to
    };
    struct Link {
        std::string path;
        uint32_t layer, index, target;
    };
    struct Inode {
        uint64_t ino;
        uint32_t mode, uid, gid;
        int64_t mtime;
    };
    struct Pending;
    Result<void> index_layer(uint32_t layer);
    Result<void> apply(uint32_t layer, const Pending& entry);
    void erase_children(const std::string& dir);
    Result<void> write_layer(uint32_t layer, CpioWriter& out, RootfsStats& stats);
    Result<void> ensure_parents(const std::string& path, CpioWriter& out, RootfsStats& stats);
    static uint64_t key(uint32_t layer, uint32_t index) { return uint64_t(layer) << 32 | index; }

    LayerFormat m_format;
    std::vector<Layer> m_layers;
    RootfsLimits m_limits;
    std::optional<std::string> m_manifest;
    std::map<std::string, Node> m_tree; // the merged tree: path -> the entry that wins
    std::vector<Link> m_links;
    uint64_t m_total_bytes{0};
    uint64_t m_total_entries{0};
    // write(): files that winning hard links need, and what was written
    std::unordered_map<uint64_t, std::vector<std::string>> m_link_holders;
    std::unordered_map<uint64_t, Inode> m_inodes;
    std::unordered_set<std::string> m_written_dirs;
    std::unordered_set<std::string> m_written_links;
};

} // namespace hyper::image
