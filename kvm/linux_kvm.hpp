#pragma once
// <linux/kvm.h> for C++. Debian 12's uapi headers declare flexible arrays through
// __DECLARE_FLEX_ARRAY as an anonymous struct holding an empty struct, which C++ sizes as
// one byte: kvm_cpuid2, kvm_msrs and friends then get wrong offsets and wrong ioctl
// numbers (KVM answers EINVAL). Redefine it as the plain flexible array C sees.
#include <linux/stddef.h>
#undef __DECLARE_FLEX_ARRAY
#define __DECLARE_FLEX_ARRAY(TYPE, NAME) TYPE NAME[0]
#include <cstddef>
#include <linux/kvm.h>

#if defined(__x86_64__)
static_assert(sizeof(kvm_cpuid2) == 8 && offsetof(kvm_cpuid2, entries) == 8);
static_assert(sizeof(kvm_msrs) == 8 && offsetof(kvm_msrs, entries) == 8);
static_assert(KVM_GET_SUPPORTED_CPUID == 0xc008ae05);
#endif
