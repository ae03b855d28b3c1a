// Target "cli": the command-line parser (vmm/cli.hpp parse_command_line). The input is
// split at NUL bytes into arguments after "vmm".
#include <string>
#include <vector>

#include "tests/fuzz/targets.hpp"
#include "vmm/cli.hpp"

namespace hyper::fuzz {

int cli(const uint8_t* data, size_t size) {
    std::vector<std::string> args{"vmm"};
    std::string cur;
    for (size_t i = 0; i < size && args.size() < 64; i++) {
        if (data[i] == 0) {
            args.push_back(cur);
            cur.clear();
        } else {
            cur.push_back(static_cast<char>(data[i]));
        }
    }
    if (!cur.empty())
        args.push_back(cur);
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    (void)parse_command_line(static_cast<int>(args.size()), argv.data());
    return 0;
}

} // namespace hyper::fuzz
