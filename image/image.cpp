#include "image/image.hpp"

#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/log.hpp"
#include "image/aci_manifest.hpp"
#include "image/oci_layout.hpp"
#include "image/sha256.hpp"

namespace hyper::image {

namespace {

// A file in the cache directory that is deleted unless commit() renamed it into place.
class TempFile {
  public:
    static Result<TempFile> create(const std::string& dir) {
        TempFile t;
        t.m_path = dir + "/.tmp-XXXXXX";
        int fd = ::mkostemp(t.m_path.data(), O_CLOEXEC);
        if (fd < 0)
            return fail_errno("creating a file in the image cache " + dir, errno,
                              ExitCode::CantCreate);
        t.m_fd = Fd(fd);
        return t;
    }
    TempFile() = default;
    TempFile(TempFile&& o) noexcept
        : m_fd(std::move(o.m_fd)), m_path(std::exchange(o.m_path, "")) {}
    ~TempFile() {
        if (!m_path.empty())
            ::unlink(m_path.c_str());
    }
    int fd() const { return m_fd.get(); }
    Result<void> commit(const std::string& final_path) {
        if (::fchmod(m_fd.get(), 0644) != 0 || ::fdatasync(m_fd.get()) != 0)
            return fail_errno("writing " + m_path, errno, ExitCode::CantCreate);
        if (::rename(m_path.c_str(), final_path.c_str()) != 0)
            return fail_errno("renaming into " + final_path, errno, ExitCode::CantCreate);
        m_path.clear();
        return {};
    }

  private:
    Fd m_fd;
    std::string m_path;
};

Result<void> make_dirs(const std::string& path) {
    for (size_t pos = 1; pos <= path.size(); pos++) {
        if (pos != path.size() && path[pos] != '/')
            continue;
        std::string dir = path.substr(0, pos);
        if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
            return fail_errno("creating the image cache " + dir, errno, ExitCode::CantCreate);
    }
    return {};
}

Result<std::string> file_digest(const std::string& path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid())
        return fail_errno("image " + path, errno, ExitCode::NoInput);
    Sha256 hash;
    std::vector<uint8_t> buf(1 << 20);
    for (;;) {
        ssize_t n = ::read(fd.get(), buf.data(), buf.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail_errno("reading image " + path, errno, ExitCode::NoInput);
        if (n == 0)
            break;
        hash.update(std::span<const uint8_t>(buf.data(), static_cast<size_t>(n)));
    }
    return hash.finish_digest();
}

std::string base_name(const std::string& path) {
    size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The image as layers plus what its manifest says (ACI: read during indexing).
struct Source {
    LayerFormat format;
    std::vector<Layer> layers;
    std::optional<ImageConfig> config; // OCI: known before the layers are read
    std::string digest;
};

Result<Source> open_source(const ImageRef& ref) {
    if (ref.kind == ImageKind::Aci) {
        std::string digest = TRY(file_digest(ref.path));
        return Source{LayerFormat::Aci, {Layer{ref.path, base_name(ref.path), digest}}, {}, digest};
    }
    auto oci = TRY(open_oci_layout(ref.path, ref.tag));
    std::string digest = oci.config.digest;
    return Source{LayerFormat::Oci, std::move(oci.layers), std::move(oci.config), digest};
}

// ACI: the manifest found while indexing, validated.
Result<ImageConfig> aci_config(const RootfsBuilder& builder, const ImageRef& ref,
                               const std::string& digest) {
    if (!builder.manifest())
        return fail(ExitCode::BadImage, base_name(ref.path) + ": no 'manifest' entry (not an ACI)");
    auto config = parse_aci_manifest(*builder.manifest());
    if (!config)
        return Unexpected(std::move(config.error()).with_context(base_name(ref.path)));
    config->digest = digest;
    return config;
}

Result<std::optional<ImageConfig>> cached_config(const std::string& json_path,
                                                 const std::string& cpio_path) {
    struct stat st {};
    if (::stat(cpio_path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
        return std::optional<ImageConfig>{};
    auto text = read_file(json_path, "cached image config", 16 << 20);
    if (!text)
        return std::optional<ImageConfig>{};
    auto config = config_from_json(std::string(text->begin(), text->end()));
    if (!config) {
        LOG_WARN("%s: %s; converting the image again", json_path.c_str(),
                 config.error().to_string().c_str());
        return std::optional<ImageConfig>{};
    }
    return std::optional<ImageConfig>{std::move(*config)};
}

} // namespace

Result<ImageRef> parse_image_ref(const std::string& text) {
    std::string rest = text;
    bool oci_prefix = rest.rfind("oci:", 0) == 0;
    if (oci_prefix)
        rest = rest.substr(4);
    if (rest.empty())
        return fail(ExitCode::Usage, "no image named");
    struct stat st {};
    if (!oci_prefix && ::stat(rest.c_str(), &st) == 0 && S_ISREG(st.st_mode))
        return ImageRef{ImageKind::Aci, rest, ""};
    if (::stat(rest.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        return ImageRef{ImageKind::Oci, rest, ""};
    size_t colon = rest.rfind(':');
    if (colon != std::string::npos && colon > 0) {
        std::string dir = rest.substr(0, colon);
        if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
            return ImageRef{ImageKind::Oci, dir, rest.substr(colon + 1)};
    }
    return fail(ExitCode::NoInput,
                "image " + text + ": no such file (an ACI) or directory (an OCI layout)");
}

Result<std::string> default_cache_dir() {
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    if (xdg && xdg[0] == '/')
        return std::string(xdg) + "/hyper/images";
    const char* home = std::getenv("HOME");
    if (home && home[0] == '/')
        return std::string(home) + "/.cache/hyper/images";
    return fail(ExitCode::CantCreate, "no image cache: neither XDG_CACHE_HOME nor HOME is set");
}

Result<PreparedImage> prepare_image(const ImageRef& ref, const std::string& cache_dir,
                                    const RootfsLimits& limits) {
    Source src = TRY(open_source(ref));
    std::string hex = src.digest.substr(7);
    PreparedImage out;
    out.cpio_path = cache_dir + "/" + hex + ".cpio";
    std::string json_path = cache_dir + "/" + hex + ".json";
    if (auto cached = TRY(cached_config(json_path, out.cpio_path))) {
        out.config = std::move(*cached);
        out.from_cache = true;
        LOG_INFO("image %s: cached as %s, no conversion", src.digest.c_str(),
                 out.cpio_path.c_str());
        return out;
    }
    auto start = std::chrono::steady_clock::now();
    RootfsBuilder builder(src.format, std::move(src.layers), limits);
    TRY(builder.index());
    out.config = src.config ? std::move(*src.config) : TRY(aci_config(builder, ref, src.digest));
    TRY(make_dirs(cache_dir));
    auto cpio = TRY(TempFile::create(cache_dir));
    auto writer = TRY(CpioWriter::to_fd(cpio.fd()));
    out.stats = TRY(builder.write(*writer));
    auto json = TRY(TempFile::create(cache_dir));
    std::string text = config_to_json(out.config);
    if (::write(json.fd(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
        return fail_errno("writing " + json_path, errno, ExitCode::CantCreate);
    TRY(json.commit(json_path));
    TRY(cpio.commit(out.cpio_path)); // last: its presence marks a whole entry
    out.convert_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    LOG_INFO("image %s: converted in %.3f s: %llu entries, %llu bytes of files -> %s",
             src.digest.c_str(), out.convert_seconds, (unsigned long long)out.stats.entries,
             (unsigned long long)out.stats.bytes, out.cpio_path.c_str());
    if (out.stats.dropped_xattrs)
        LOG_WARN("image %s: extended attributes of %llu files dropped (newc cannot carry them)",
                 src.digest.c_str(), (unsigned long long)out.stats.dropped_xattrs);
    return out;
}

Result<ImageConfig> inspect_image(const ImageRef& ref) {
    Source src = TRY(open_source(ref));
    if (src.config)
        return std::move(*src.config);
    RootfsBuilder builder(src.format, std::move(src.layers));
    TRY(builder.index());
    return aci_config(builder, ref, src.digest);
}

} // namespace hyper::image
