#pragma once
// The guest init (guest/init/init.c), built for the guest at build time and carried inside
// the vmm binary, so vmm plus a kernel is all a host needs to run an image.
#include <cstdint>
#include <span>

namespace hyper {

std::span<const uint8_t> guest_init_binary();

} // namespace hyper
