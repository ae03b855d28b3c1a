#include "image/entry_path.hpp"

namespace hyper::image {

namespace {
Unexpected bad(std::string_view name, const char* why) {
    std::string shown(name.substr(0, 200));
    return fail(ExitCode::BadImage, "entry '" + shown + "': " + why);
}
} // namespace

Result<std::string> normalize_entry_name(std::string_view name) {
    if (name.size() > k_max_entry_path)
        return bad(name, "the name is longer than 4095 bytes");
    if (!name.empty() && name.front() == '/')
        return bad(name, "absolute paths are not allowed in an image");
    std::string out;
    size_t pos = 0;
    while (pos <= name.size()) {
        size_t end = name.find('/', pos);
        if (end == std::string_view::npos)
            end = name.size();
        std::string_view part = name.substr(pos, end - pos);
        pos = end + 1;
        if (part.empty() || part == ".")
            continue;
        if (part == "..")
            return bad(name, "'..' is not allowed in an image path");
        if (part.find('\0') != std::string_view::npos)
            return bad(name, "the name holds a NUL byte");
        if (!out.empty())
            out += '/';
        out += part;
    }
    return out;
}

std::string_view parent_of(std::string_view path) {
    size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

} // namespace hyper::image
