#pragma once
// The initramfs in guest RAM: an initrd file read straight into guest memory (no copy in
// between), followed by in-memory archives (vmm run: the guest init and /.hyper/run),
// back to back, each on a 4-byte boundary: Linux unpacks concatenated cpio archives in
// order and skips the zero padding between them.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/fd.hpp"
#include "base/guest_memory.hpp"
#include "base/result.hpp"
#include "boot/kernel.hpp"

namespace hyper {

// Opened early, so that a missing file is reported before KVM is touched.
struct InitrdFile {
    Fd fd;
    uint64_t size{0};
};

// Missing, unreadable, not a regular file or larger than `max_size`: ExitCode::NoInput.
Result<InitrdFile> open_initrd(const std::string& path, uint64_t max_size);

// Places the file (named `path` in errors) and `extra` where boot::place_initrd says;
// nullopt when there is nothing to load. An empty file: ExitCode::BadImage.
Result<std::optional<boot::InitrdPlacement>>
load_initrds(const GuestMemory& memory, const boot::LoadedKernel& kernel, const std::string& path,
             std::optional<InitrdFile> file, std::span<const std::vector<uint8_t>> extra);

} // namespace hyper
